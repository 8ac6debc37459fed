#!/usr/bin/python3
"""Virtual seconds to a target test accuracy for FedAvg, FedAsync, FedBuff and FedCompass on
the same heterogeneous population, each run through the real CLI (orrery run: agent, mpirun
ranks) and read back from run.h5 with h5py.

    bench/fed_sim/time_to_accuracy.py [BUILD_DIR] [--target 0.9] [--seeds 1 2 3] [--ranks 2]
                                      [--dirichlet ALPHA] [--png DIR]

Population: 20 digits clients (IID, or Dirichlet(ALPHA) label skew), logistic regression,
compute speeds drawn from an exponential distribution (mean 100 samples/s: a heavy tail of
slow clients). With --png, the four algorithms' runs of the first seed are drawn on one chart
by the CLI (orrery export RUN RUN RUN RUN --plot test_accuracy_by_virtual_ms --png
DIR/time_to_accuracy.png, and the three asynchronous ones alone in time_to_accuracy_async.png):
test accuracy against virtual milliseconds, one line per algorithm."""
import argparse
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fed_bench_support import BenchProject, series  # noqa: E402

ALGORITHMS = {
    "fedavg": {"algorithm": "fedavg", "rounds": 40},
    "fedasync": {"algorithm": "fedasync", "concurrency": 20, "rounds": 300},
    "fedbuff": {"algorithm": "fedbuff", "concurrency": 20, "buffer_size": 5, "rounds": 100},
    "fedcompass": {"algorithm": "fedcompass", "max_local_steps": 5, "rounds": 150},
}


def first_time(run_h5, target):
    acc, vt = series(run_h5, "test_accuracy"), series(run_h5, "virtual_time_s")
    times = dict(zip(vt["step"].tolist(), vt["value"].tolist()))
    hit = np.nonzero(acc["value"] >= target)[0]
    return (times[int(acc["step"][hit[0]])], int(acc["step"][hit[0]])) if len(hit) else (math.inf, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--target", type=float, default=0.9)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--dirichlet", type=float, default=0, help="label skew alpha (0: IID)")
    ap.add_argument("--png", help="folder for the chart of the four algorithms (first seed)")
    a = ap.parse_args()
    population = {"clients": 20, "speed_dist": "exponential"}
    if a.dirichlet > 0:
        population.update(partition="dirichlet", dirichlet_alpha=a.dirichlet)
    with tempfile.TemporaryDirectory(prefix="orrery-fed-tta-") as tmp:
        prj = BenchProject(tmp, a.build)
        print(f"# virtual seconds to {a.target:.0%} test accuracy (server version or round in brackets), "
              f"{a.ranks} ranks; 20 digits clients ({f'Dirichlet({a.dirichlet})' if a.dirichlet else 'IID'}), "
              "logreg, exponential speeds")
        print("| seed | " + " | ".join(ALGORITHMS) + " |")
        print("|---|" + "---|" * len(ALGORITHMS))
        for seed in a.seeds:
            cells, run_ids = [], []
            for name, params in ALGORITHMS.items():
                run_h5 = prj.run(f"{name}-{seed}", {**population, "seed": seed, **params}, a.ranks)
                t, step = first_time(run_h5, a.target)
                run_ids.append(run_h5.parent.name)
                cells.append("not reached" if step is None else f"{t:.2f} ({step})")
            if a.png and seed == a.seeds[0]:
                Path(a.png).mkdir(parents=True, exist_ok=True)
                # All four, then the three asynchronous ones alone: FedAvg waits for each round's
                # slowest client, so its curve spans ~1000x their virtual time and flattens them.
                for png, ids in (("time_to_accuracy.png", run_ids), ("time_to_accuracy_async.png", run_ids[1:])):
                    subprocess.run([prj.orrery, "-p", str(prj.root), "export", *ids, "--plot",
                                    "test_accuracy_by_virtual_ms", "--png", str(Path(a.png) / png)], check=True,
                                   env=prj.env, capture_output=True, timeout=120)
            print(f"| {seed} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
