"""Does gpt-serve's speed probe track the machine's speed as the serving iterations see it?
The flow of e2e.test_serve_sim_calibration (a small model on 2 ranks: a fitting configuration
served before and after a holdout configuration, mode calibrate on the two fitting runs) run
once per LOAD word, with a busy loop (/usr/bin/python3 -c 'while True: pass', holding one core)
during the runs the word names: quiet (none), busy (all three), holdout (only the holdout), fit
(only the two fitting runs). Per gpt-serve run: its slowdown (measured / fitted iteration time,
the fit of its repetition) and its probes' statistics (median, mean, 10 %-trimmed mean, mean
of the lower half) relative to the fitting runs' pooled probes; then, over all runs, the
correlation of each statistic's ratio with the slowdown's ratio (the run's slowdown over the
fitting runs' mean). With --simulate, also the holdout simulated with the fit at its machine
speed (speed_of, speed_model uniform and preemptions) and at the fitting runs' (unscaled): the
signed errors of TTFT and TPOT p50/p90, and each model's worst error per figure.

    ORRERY_BIN_DIR=BUILD/bin ORRERY_SOURCE_DIR=. python3 bench/serve_sim/speed_probe_tracking.py [--simulate] quiet busy holdout fit ...
(with OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 as root)
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
import test_serve_sim_calibration as calibration  # noqa: E402  (the test's configurations and steps)
from e2e_support import Project  # noqa: E402
from gpt_serve_support import final  # noqa: E402

BUSY = ["/usr/bin/python3", "-c", "while True: pass"]


def probes(prj, run, name="speed_probe_s"):
    """Every rank's series name (speed_probe_s, cpu_running_s, cpu_waiting_s), pooled."""
    with h5py.File(prj.run_dir(run) / "run.h5", "r") as f:
        return np.concatenate([f[f"metrics/rank-{r}/{name}"][:]["value"] for r in range(2)])


def statistics(prj, runs):
    """The probe's statistics over runs pooled: median, mean, 10 %-trimmed mean, mean of the lower
    half; contention, the ranks' time runnable over their time on the CPU (1: the core was theirs
    whenever they wanted it); and the median probe times the contention."""
    v = np.sort(np.concatenate([probes(prj, r) for r in runs]))
    n = len(v)
    running = sum(probes(prj, r, "cpu_running_s").sum() for r in runs)
    waiting = sum(probes(prj, r, "cpu_waiting_s").sum() for r in runs)
    contention = (running + waiting) / running
    return {"median": float(np.median(v)), "mean": float(v.mean()), "trim10": float(v[: max(1, int(0.9 * n))].mean()),
            "lowhalf": float(v[: max(1, n // 2)].mean()), "contention": contention, "median_x_contention": float(np.median(v)) * contention}


class Busy:
    """One busy loop for the runs of a repetition it is asked for."""
    def __init__(self):
        self.proc = None

    def set(self, on):
        if on and self.proc is None:
            self.proc = subprocess.Popen(BUSY)
        if not on and self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def main(words, simulate):
    prj = Project("probe-bench")
    corpus = calibration.write_corpus(prj.root)
    train = calibration.run_to_end(prj, "train", "gpt-train", dict(calibration.MODEL, corpus=corpus))
    (ckpt,) = (prj.run_dir(train) / "checkpoints").glob("step-*.h5")
    calibration.serve(prj, "warm-up", str(ckpt), corpus, dict(calibration.FIT, duration_s=1.0))
    busy = Busy()
    rows = []  # (word, run role, slowdown ratio, {statistic: probe ratio})
    worst = {}  # model -> figure -> worst relative error
    try:
        for rep, word in enumerate(words):
            load0 = os.getloadavg()[0]
            busy.set(word in ("busy", "fit"))
            before = calibration.serve(prj, f"fit-before-{rep}", str(ckpt), corpus, calibration.FIT)
            busy.set(word in ("busy", "holdout"))
            holdout = calibration.serve(prj, f"holdout-{rep}", str(ckpt), corpus, calibration.HOLDOUT)
            busy.set(word in ("busy", "fit"))
            after = calibration.serve(prj, f"fit-after-{rep}", str(ckpt), corpus, dict(calibration.FIT, seed=2))
            busy.set(False)
            calib = calibration.run_to_end(prj, f"calibrate-{rep}", "serve-sim",
                                           {"mode": "calibrate", "calibrate_from": f"fit-before-{rep},fit-after-{rep}"})
            fit = json.loads((prj.run_dir(calib) / "calibration.json").read_text())
            runs = {"before": before, "holdout": holdout, "after": after}
            slow = {k: calibration.slowdown(prj, r, fit) for k, r in runs.items()}
            fit_probes = statistics(prj, [before, after])
            fit_slow = (slow["before"] + slow["after"]) / 2
            share = {k: final(prj, r, "speed_probe_share") for k, r in runs.items()}
            for k, r in runs.items():
                st = statistics(prj, [r])
                rows.append((word, k, slow[k] / fit_slow, {s: st[s] / fit_probes[s] for s in st}))
                print(f"rep {rep} ({word}, load {load0:.1f}) {k}: slowdown {slow[k]:.2f} (x{slow[k] / fit_slow:.2f} of the fit's); probe "
                      + ", ".join(f"{s} {st[s] * (1 if s == 'contention' else 1e6):.3g} (x{st[s] / fit_probes[s]:.2f})" for s in st)
                      + f"; {len(probes(prj, r))} probes, {100 * share[k]:.2f} % of rank 0's time", flush=True)
            if simulate:
                real = {m: final(prj, holdout, m) for m in calibration.COMPARED}
                for label, extra in (("uniform", {"speed_of": holdout}), ("preemptions", {"speed_of": holdout, "speed_model": "preemptions"}),
                                     ("unscaled", {})):
                    sim = calibration.simulate(prj, f"sim-{rep}-{label.split()[0]}", calibration.HOLDOUT, calibration=calib, replicas=16, **extra)
                    print(f"rep {rep} ({word}) {label}: " + ", ".join(f"{m} {100 * (sim[m] - real[m]) / real[m]:+.1f} %" for m in calibration.COMPARED),
                          flush=True)
                    for m in calibration.COMPARED:
                        worst.setdefault(label, {})[m] = max(worst.get(label, {}).get(m, 0), abs(sim[m] - real[m]) / real[m])
    finally:
        busy.set(False)
    for label, figures in worst.items():
        print(f"worst, {label}: " + ", ".join(f"{m} {100 * e:.1f} %" for m, e in figures.items()))
    slowdown = np.array([r[2] for r in rows])
    print(f"\n{len(rows)} runs; slowdown ratio {slowdown.min():.2f}-{slowdown.max():.2f}")
    for s in rows[0][3]:
        ratio = np.array([r[3][s] for r in rows])
        residual = ratio / slowdown - 1
        print(f"{s}: correlation with the slowdown ratio {np.corrcoef(ratio, slowdown)[0, 1]:.3f}; "
              f"probe ratio / slowdown ratio - 1: rms {100 * np.sqrt(np.mean(residual ** 2)):.1f} %, worst {100 * np.max(np.abs(residual)):.1f} %")


if __name__ == "__main__":
    args = sys.argv[1:]
    main([a for a in args if a != "--simulate"] or ["quiet", "holdout", "fit", "busy"], "--simulate" in args)
