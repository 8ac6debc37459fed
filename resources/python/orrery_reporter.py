"""Report metrics, progress and events from any program to Orrery.

Orrery starts every rank of a run under a small supervisor that reads the
rank's stdout. Lines in the format below become telemetry (charts, progress,
event markers); every other line goes to the rank's log unchanged. This module
writes such lines, so a script needs nothing but ``import orrery_reporter``;
a program in any other language can print them itself.

Line format: one JSON object per line, ASCII, keys exactly as shown, ``"orrery": 1``
being the format version. Exactly one of ``step``/``metrics``, ``progress`` or
``event`` per line::

    {"orrery": 1, "step": 12, "metrics": {"loss": 0.5, "lr": 0.0003}}
    {"orrery": 1, "progress": [3, 10]}
    {"orrery": 1, "event": {"kind": "info", "text": "checkpoint saved"}}

- ``step`` is an integer (the x axis of the charts: iteration, epoch, round,
  message size...). ``metrics`` maps metric names to numbers or null
  (integers stay integers; bools become 1/0; None becomes null).
- Non-finite values (NaN, +inf, -inf) are written as ``null``, because JSON has
  no spelling for them; Orrery records null as NaN ("this step had no usable
  value") instead of dropping the line.
- ``progress`` is ``[done, total]`` for the whole job as this rank sees it.
- The rank is not part of the line: the supervisor knows which rank it watches.

Each call writes one complete line and flushes, so lines from a script never
interleave and arrive while the run is live. Run Python with ``-u`` (or keep
using this module's calls) so ordinary prints are not held back either.

Example::

    import orrery_reporter as orrery
    for step in range(100):
        loss = train_step()
        orrery.report(step, loss=loss, lr=scheduler.lr)
        orrery.progress(step + 1, 100)
    orrery.event("info", "training done")
"""

import json
import math
import operator
import os
import sys
import threading

__all__ = ["report", "progress", "event", "rank"]

FORMAT_VERSION = 1

_lock = threading.Lock()
_broken = False


def rank():
    """This process's MPI rank from the launcher's environment (0 when not under MPI).

    Handy to let only rank 0 report job-wide values; Orrery itself does not
    need it, since each rank's lines are read separately.
    """
    for name in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID", "ORRERY_RANK"):
        value = os.environ.get(name)
        if value is not None and value.isdigit():
            return int(value)
    return 0


def _number(name, value):
    if value is None:
        return None  # "no usable value at this step", like NaN
    if isinstance(value, str):
        raise TypeError(f"orrery_reporter: metric {name!r} must be a number, got {value!r}")
    try:
        return operator.index(value)  # integers (and numpy/torch integer scalars) stay exact
    except TypeError:
        pass
    try:
        number = float(value)  # float, numpy and torch scalars alike
    except (TypeError, ValueError):
        raise TypeError(f"orrery_reporter: metric {name!r} must be a number, got {type(value).__name__}") from None
    return number if math.isfinite(number) else None


def _emit(record):
    global _broken
    line = json.dumps({"orrery": FORMAT_VERSION, **record}, allow_nan=False, separators=(", ", ": ")) + "\n"
    with _lock:
        if _broken:
            return
        try:
            sys.stdout.write(line)
            sys.stdout.flush()
        except (OSError, ValueError):
            # stdout is gone (supervisor ended, stream closed). Reporting must
            # never take the computation down with it; say so once and go quiet.
            _broken = True
            print("orrery_reporter: stdout is closed; further reports are dropped", file=sys.stderr)


def report(step, values=None, /, **metrics):
    """Report metric values at an integer step.

    Names that are not Python identifiers ("loss/train") go in the dict:
    ``report(10, {"loss/train": 0.3}, lr=1e-4)``.
    """
    merged = dict(values or {})
    merged.update(metrics)
    if not merged:
        raise ValueError("orrery_reporter.report: no metrics given")
    for name in merged:
        if not isinstance(name, str) or not name:
            raise TypeError(f"orrery_reporter: metric names must be non-empty strings, got {name!r}")
    try:
        step = operator.index(step)
    except TypeError:
        raise TypeError(f"orrery_reporter.report: step must be an integer, got {step!r}") from None
    _emit({"step": step, "metrics": {k: _number(k, v) for k, v in merged.items()}})


def progress(done, total):
    """Report how much of the job this rank has done, e.g. ``progress(3, 10)``."""
    _emit({"progress": [_number("done", done), _number("total", total)]})


def event(kind, text):
    """Report a notable moment ("info", "warning", "error", "checkpoint", ...) with a message."""
    _emit({"event": {"kind": str(kind), "text": str(text)}})
