"""What drives the tails serve-sim's calibration must reproduce: reads gpt-serve runs' spans and
per-iteration series (run.h5) and a serve-sim calibration (calibration.json), and prints per run
and rank the structure of the decode steps' scatter around the fit:

- ratio quantiles of measured / fitted time (what the iid jitter reproduces),
- the autocorrelation of log(measured / fitted) between consecutive decode steps of a rank
  (lags 1, 2, 5, 10, 20) and of a 20-step moving average (a slow stretch),
- the per-rank median ratio (one rank slower than the other),
- the gaps between one iteration's end and the next one's start while the rank is busy (time
  that no span covers: logging, admission),
- the share of a request's time between first and last token that the spans cover.

    /usr/bin/python3 bench/serve_sim/jitter_structure.py PROJECT/runs/CALIBRATE_RUN PROJECT/runs/GPT_SERVE_RUN...
"""
import json
import sys
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from test_serve_sim_calibration import fitted_ms  # noqa: E402  (the fit's formula, as the test reads it)


def rank_iterations(f, rank):
    spans = f[f"spans/rank-{rank}"][:]
    series = {}
    for name in ("decode_batch", "decode_context_tokens", "prefill_tokens", "prefill_attention_pairs"):
        key = f"metrics/rank-{rank}/{name}"
        series[name] = dict(zip(f[key][:]["step"].tolist(), f[key][:]["value"].tolist())) if key in f else {}
    out = []
    for s in spans:
        name = s["name"].decode()
        if s["kind"].decode() != "compute" or name not in ("prefill", "decode"):
            continue
        out.append((name, float(s["start"]), float(s["end"]), int(s["step"])))
    out.sort(key=lambda t: t[1])
    return out, series


def fitted(cal, name, step, series):
    return fitted_ms(cal, name, step, series) * 1e-3


def autocorrelation(x, lag):
    x = x - x.mean()
    return float(np.dot(x[:-lag], x[lag:]) / np.dot(x, x)) if len(x) > lag + 2 else float("nan")


def analyse(run, cal):
    with h5py.File(run / "run.h5", "r") as f:
        ranks = sorted(int(k.split("-")[1]) for k in f["spans"].keys())
        print(f"\n{run.name}")
        for rank in ranks:
            its, series = rank_iterations(f, rank)
            dec = [(s, e, st) for n, s, e, st in its if n == "decode" and st in series["decode_batch"]]
            ratio = np.array([(e - s) / fitted(cal, "decode", st, series) for s, e, st in dec])
            logr = np.log(ratio)
            # Gaps: from an iteration's last span end to the next iteration's first span start,
            # only where the next one follows within 2 ms (the rank was not idle waiting).
            ends, starts = {}, {}
            for n, s, e, st in its:
                ends[st] = max(ends.get(st, 0), e)
                starts[st] = min(starts.get(st, 1e300), s)
            steps = sorted(starts)
            gaps = np.array([starts[b] - ends[a] for a, b in zip(steps, steps[1:]) if b == a + 1 and starts[b] - ends[a] < 2e-3])
            moving = np.convolve(logr, np.ones(20) / 20, mode="valid")
            q = np.quantile(ratio, [0.1, 0.5, 0.9, 0.99])
            print(f"  rank {rank}: {len(dec)} decode steps, ratio p10/p50/p90/p99 {q[0]:.2f}/{q[1]:.2f}/{q[2]:.2f}/{q[3]:.2f}; "
                  f"log-ratio autocorrelation lag 1/2/5/10/20: " +
                  "/".join(f"{autocorrelation(logr, k):.2f}" for k in (1, 2, 5, 10, 20)) +
                  f"; 20-step mean sd {moving.std():.3f} (iid would be {logr.std() / np.sqrt(20):.3f})")
            pre = [(s, e, st) for n, s, e, st in its if n == "prefill" and st in series["prefill_tokens"]]
            pratio = np.array([(e - s) / fitted(cal, "prefill", st, series) for s, e, st in pre])
            pq = np.quantile(pratio, [0.1, 0.5, 0.9]) if len(pratio) else [float("nan")] * 3
            print(f"    mean ratio decode {ratio.mean():.2f} (of it above 3x: {ratio[ratio > 3].sum() / ratio.sum():.0%} of the time); "
                  f"prefill {len(pre)}: ratio p10/p50/p90 {pq[0]:.2f}/{pq[1]:.2f}/{pq[2]:.2f}, mean {pratio.mean():.2f}")
            if len(gaps):
                print(f"    busy gaps: {len(gaps)}, median {np.median(gaps) * 1e6:.0f} us, p90 {np.quantile(gaps, 0.9) * 1e6:.0f} us, "
                      f"mean decode step {np.mean([e - s for s, e, _ in dec]) * 1e6:.0f} us")


def main(args):
    cal = json.loads((Path(args[0]) / "calibration.json").read_text())
    print("fit: " + ", ".join(f"{k} {cal[k]:.4g}" for k in ("prefill_fixed_ms", "prefill_ms_per_token", "prefill_ns_per_attention_pair",
                                                           "decode_fixed_ms", "decode_ms_per_seq", "decode_us_per_context_token")))
    for run in args[1:]:
        analyse(Path(run), cal)


if __name__ == "__main__":
    main(sys.argv[1:])
