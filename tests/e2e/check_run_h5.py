#!/usr/bin/python3
"""Checks a run.h5 against its format spec (core/runfiles/FORMAT_H5.md) with h5py alone.

The proof that h5py users can read what Orrery writes: it opens the file as any h5py
user would (swmr=True where the file allows, so a live or crashed run reads too),
reads every dataset in full, and checks layout, dtypes, shapes and per-series order.

As a program:
    check_run_h5.py RUN_H5 [--expect-ranks N] [--expect-metric NAME ...]
prints a summary and exits 0, or lists the problems and exits 1 (2: cannot open).
--expect-ranks N: the root attribute ranks is N, and /metrics holds series of exactly
the ranks 0..N-1. --expect-metric NAME: some rank has a non-empty series NAME.

As a module (other e2e tests):
    from check_run_h5 import check
    summary = check(path, expect_ranks=4, expect_metrics=("loss",))
raises AssertionError listing every problem; returns the summary dict.
"""
import argparse
import fcntl
import os
import re
import struct
import sys
import time

import h5py
import numpy as np

FORMAT = "orrery-run-h5"
FORMAT_VERSION = 1

# Member name -> (numpy kind, item size); "S" members are fixed-length byte strings.
SERIES = {"step": ("i", 8), "time": ("f", 8), "value": ("f", 8)}
REDUCED = {"step": ("i", 8), "time": ("f", 8), "mean": ("f", 8), "min": ("f", 8), "max": ("f", 8), "count": ("i", 4)}
SPANS = {"start": ("f", 8), "end": ("f", 8), "step": ("i", 8), "kind": ("S", 16), "name": ("S", 48)}
EVENTS = {"time": ("f", 8), "rank": ("i", 4), "step": ("i", 8), "kind": ("S", 32), "text": ("S", 256)}

_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_RANK = re.compile(r"^rank-(0|[1-9][0-9]*)$")


def valid_series_name(name):
    """The writer's name rule (valid_series_name in run_h5_writer.hpp)."""
    if not name or len(name) > 200:
        return False
    return all(_SEGMENT.match(s) and s not in (".", "..") for s in name.split("/"))


class _ReaderLock:
    """Holds the run file's writer lock shared (FORMAT_H5.md, "Readers and the writer lock")
    so the agent does not restructure the file while it is read. Best effort: where the
    file system has no locks, reads go on without."""

    def __init__(self, path, wait_s=10.0):
        self.fd = None
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return
        # struct flock on Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.
        request = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, 0, 1, 0)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.fcntl(self.fd, fcntl.F_OFD_SETLK, request)
                return
            except OSError as e:
                if e.errno not in (11, 13) or time.monotonic() > deadline:  # EAGAIN, EACCES: held
                    return
                time.sleep(0.01)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)  # drops the lock
            self.fd = None


def _open(path):
    """h5py.File read-only: SWMR read when the file allows (libver latest, as Orrery
    writes it; a live or crashed writer's file needs it), else plain."""
    kwargs = {"locking": False} if h5py.version.version_tuple[:2] >= (3, 5) else {}
    try:
        return h5py.File(path, "r", swmr=True, **kwargs), True
    except (OSError, ValueError):
        return h5py.File(path, "r", **kwargs), False


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.shape == ():
        return _text(v[()])
    return v if isinstance(v, str) else str(v)


def _check_table(ds, fields, problems):
    """dtype, shape and storage of one table; returns its rows, or None when unreadable."""
    where = ds.name
    names = ds.dtype.names
    if names is None:
        problems.append(f"{where}: not a compound dataset (dtype {ds.dtype})")
        return None
    # Members added after these keep format_version 1 (FORMAT_H5.md, "Compatibility").
    if list(names[:len(fields)]) != list(fields):
        problems.append(f"{where}: members {list(names)}, expected {list(fields)} first")
    for name, (kind, size) in fields.items():
        if name not in names:
            continue
        dt = ds.dtype.fields[name][0]
        if dt.kind != kind or dt.itemsize != size or (kind != "S" and dt.byteorder == ">"):
            problems.append(f"{where}: member {name} has dtype {dt.str}, expected {kind}{size} little-endian")
    if ds.ndim != 1:
        problems.append(f"{where}: {ds.ndim}-D, expected 1-D")
        return None
    if ds.chunks is None or ds.maxshape != (None,):
        problems.append(f"{where}: not chunked and extendible (chunks {ds.chunks}, maxshape {ds.maxshape})")
    try:
        rows = ds[()]  # every row, in full
    except Exception as e:  # noqa: BLE001 - h5py raises several types for damaged data
        problems.append(f"{where}: cannot read: {e}")
        return None
    if len(rows) != ds.shape[0]:
        problems.append(f"{where}: read {len(rows)} rows of {ds.shape[0]}")
    return rows


def check(path, expect_ranks=None, expect_metrics=()):
    """Checks the run.h5 at path; returns a summary dict, raises AssertionError listing
    every problem found."""
    problems = []
    summary = {"path": str(path), "series": {}, "reduced": {}, "spans": {}, "events": 0, "points": 0}
    lock = _ReaderLock(path)
    try:
        try:
            f, swmr = _open(path)
        except Exception as e:  # noqa: BLE001
            raise AssertionError(f"{path}: cannot open with h5py: {e}") from e
        summary["swmr"] = swmr
        with f:
            _check_file(f, summary, problems)
    finally:
        lock.close()

    metric_ranks = sorted({int(k.split("/")[1][5:]) for k in summary["series"] if k.startswith("metrics/")})
    metric_names = sorted({k.split("/", 2)[2] for k in summary["series"] if k.startswith("metrics/")})
    summary["metric_ranks"] = metric_ranks
    summary["metric_names"] = metric_names
    if expect_ranks is not None:
        if summary.get("ranks") != expect_ranks:
            problems.append(f"root attribute ranks is {summary.get('ranks')}, expected {expect_ranks}")
        if metric_ranks != list(range(expect_ranks)):
            problems.append(f"metrics come from ranks {metric_ranks}, expected 0..{expect_ranks - 1}")
    for name in expect_metrics:
        counts = [n for k, n in summary["series"].items() if k.startswith("metrics/") and k.split("/", 2)[2] == name]
        if not counts:
            problems.append(f"no metric {name!r} from any rank (have {metric_names})")
        elif not any(counts):
            problems.append(f"metric {name!r} has no points")
    if problems:
        raise AssertionError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return summary


def _check_file(f, summary, problems):
    attrs = {k: f.attrs[k] for k in f.attrs}
    summary["attributes"] = {k: _text(v) if not isinstance(v, (np.integer, int)) else int(v) for k, v in attrs.items()}
    if _text(attrs.get("format", "")) != FORMAT:
        problems.append(f"root attribute format is {attrs.get('format')!r}, expected {FORMAT!r}")
    version = attrs.get("format_version")
    if not isinstance(version, (np.integer, int)) or int(version) != FORMAT_VERSION:
        problems.append(f"root attribute format_version is {version!r}, expected {FORMAT_VERSION}")
    for key in ("run_id", "kind"):
        if not isinstance(attrs.get(key), (str, bytes)):
            problems.append(f"root attribute {key} missing or not a string ({attrs.get(key)!r})")
    ranks = attrs.get("ranks")
    if not isinstance(ranks, (np.integer, int)) or int(ranks) < 0:
        problems.append(f"root attribute ranks missing or not a non-negative integer ({ranks!r})")
    else:
        summary["ranks"] = int(ranks)
    summary["run_id"] = _text(attrs.get("run_id", ""))
    summary["kind"] = _text(attrs.get("kind", ""))

    for group in ("metrics", "system", "reduced", "spans"):
        if not isinstance(f.get(group, getlink=False), h5py.Group):
            problems.append(f"/{group}: missing or not a group")
    if not isinstance(f.get("events"), h5py.Dataset):
        problems.append("/events: missing or not a dataset")

    datasets = []
    f.visititems(lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None)
    for name in sorted(datasets):
        ds = f[name]
        if summary.get("swmr"):
            ds.refresh()
        parts = name.split("/")
        if parts[0] in ("metrics", "system") and len(parts) >= 3 and _RANK.match(parts[1]):
            series = "/".join(parts[2:])
            if not valid_series_name(series):
                problems.append(f"/{name}: {series!r} is not a valid series name")
            rows = _check_table(ds, SERIES, problems)
            if rows is not None and set(SERIES) <= set(rows.dtype.names):
                summary["series"][name] = len(rows)
                summary["points"] += len(rows)
                if len(rows) > 1 and np.any(np.diff(rows["step"]) < 0):
                    i = int(np.argmax(np.diff(rows["step"]) < 0))
                    problems.append(f"/{name}: steps go back at row {i + 1} ({rows['step'][i]} -> {rows['step'][i + 1]})")
                if not np.all(np.isfinite(rows["time"])):
                    problems.append(f"/{name}: non-finite times")
        elif parts[0] == "reduced" and len(parts) >= 2:
            series = "/".join(parts[1:])
            if not valid_series_name(series):
                problems.append(f"/{name}: {series!r} is not a valid series name")
            rows = _check_table(ds, REDUCED, problems)
            if rows is not None and set(REDUCED) <= set(rows.dtype.names):
                summary["reduced"][series] = len(rows)
                if np.any(rows["count"] < 1):
                    problems.append(f"/{name}: rows with count < 1")
                ok = np.isfinite(rows["mean"]) & np.isfinite(rows["min"]) & np.isfinite(rows["max"])
                bad = ok & ((rows["min"] > rows["mean"] + 1e-9 * np.abs(rows["mean"])) |
                            (rows["mean"] > rows["max"] + 1e-9 * np.abs(rows["mean"])))
                if np.any(bad):
                    problems.append(f"/{name}: {int(np.sum(bad))} rows where min <= mean <= max does not hold")
        elif parts[0] == "spans" and len(parts) == 2 and _RANK.match(parts[1]):
            rows = _check_table(ds, SPANS, problems)
            if rows is not None and set(SPANS) <= set(rows.dtype.names):
                summary["spans"][int(parts[1][5:])] = len(rows)
                if np.any(rows["end"] < rows["start"]):
                    problems.append(f"/{name}: spans that end before they start")
        elif name == "events":
            rows = _check_table(ds, EVENTS, problems)
            if rows is not None:
                summary["events"] = len(rows)
        else:
            problems.append(f"/{name}: unexpected dataset")
            try:
                ds[()]
            except Exception as e:  # noqa: BLE001
                problems.append(f"/{name}: cannot read: {e}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_h5")
    p.add_argument("--expect-ranks", type=int)
    p.add_argument("--expect-metric", action="append", default=[], metavar="NAME")
    a = p.parse_args(argv)
    if not os.path.exists(a.run_h5):
        print(f"{a.run_h5}: no such file", file=sys.stderr)
        return 2
    try:
        s = check(a.run_h5, expect_ranks=a.expect_ranks, expect_metrics=a.expect_metric)
    except AssertionError as e:
        print(e, file=sys.stderr)
        return 2 if "cannot open" in str(e).split("\n")[0] else 1
    print(f"{s['path']}: OK ({'SWMR read' if s['swmr'] else 'plain read'})")
    print(f"  run_id={s['run_id']} kind={s['kind']} ranks={s.get('ranks')} "
          f"status={s['attributes'].get('status', '-')}")
    print(f"  {len(s['series'])} series, {s['points']} points; metric ranks {s['metric_ranks']}; "
          f"metrics {s['metric_names']}")
    for name, n in sorted(s["series"].items()):
        print(f"    {name}: {n}")
    print(f"  reduced: {dict(sorted(s['reduced'].items()))}")
    print(f"  spans: {dict(sorted(s['spans'].items()))}; events: {s['events']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
