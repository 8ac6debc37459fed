#!/usr/bin/python3
"""Virtual seconds to a target test accuracy for FedAvg, FedAsync, FedBuff and FedCompass on
the same heterogeneous population, each run through the real CLI (orrery run: agent, mpirun
ranks) and read back from run.h5 with h5py.

    bench/fed_sim/time_to_accuracy.py [BUILD_DIR] [--target 0.9] [--seeds 1 2 3] [--ranks 2]

Population: 20 IID digits clients, logistic regression, compute speeds drawn from an
exponential distribution (mean 100 samples/s: a heavy tail of slow clients)."""
import argparse
import json
import math
import os
import subprocess
import tempfile
from pathlib import Path

import h5py
import numpy as np

ALGORITHMS = {
    "fedavg": {"algorithm": "fedavg", "rounds": 40},
    "fedasync": {"algorithm": "fedasync", "concurrency": 20, "rounds": 300},
    "fedbuff": {"algorithm": "fedbuff", "concurrency": 20, "buffer_size": 5, "rounds": 100},
    "fedcompass": {"algorithm": "fedcompass", "max_local_steps": 5, "rounds": 150},
}


def first_time(run_h5, target):
    with h5py.File(run_h5, "r") as f:
        acc = f["metrics/rank-0/test_accuracy"][:]
        vt = f["metrics/rank-0/virtual_time_s"][:]
    times = dict(zip(vt["step"].tolist(), vt["value"].tolist()))
    hit = np.nonzero(acc["value"] >= target)[0]
    return (times[int(acc["step"][hit[0]])], int(acc["step"][hit[0]])) if len(hit) else (math.inf, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--target", type=float, default=0.9)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--ranks", type=int, default=2)
    a = ap.parse_args()
    orrery = str(Path(a.build) / "bin" / "orrery")
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    with tempfile.TemporaryDirectory(prefix="orrery-fed-tta-") as tmp:
        prj = Path(tmp)
        (prj / "orrery.json").write_text(json.dumps({"name": "tta", "targets": {"local": {"type": "local"}}}))
        print(f"# virtual seconds to {a.target:.0%} test accuracy (server version or round in brackets), "
              f"{a.ranks} ranks; 20 IID digits clients, logreg, exponential speeds")
        print("| seed | " + " | ".join(ALGORITHMS) + " |")
        print("|---|" + "---|" * len(ALGORITHMS))
        for seed in a.seeds:
            cells = []
            for name, params in ALGORITHMS.items():
                spec = prj / f"{name}-{seed}.json"
                spec.write_text(json.dumps({"kind": "fed-sim", "name": f"{name}-{seed}", "ranks": a.ranks,
                                            "params": {"clients": 20, "speed_dist": "exponential", "seed": seed,
                                                       **params}}))
                p = subprocess.run([orrery, "-p", str(prj), "run", str(spec), "--quiet"], capture_output=True,
                                   text=True, env=env, timeout=600)
                run_id = next(l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l)
                if p.returncode != 0:
                    raise SystemExit(f"{name} seed {seed} failed:\n{p.stdout}{p.stderr}")
                t, step = first_time(prj / "runs" / run_id / "run.h5", a.target)
                cells.append("not reached" if step is None else f"{t:.2f} ({step})")
            print(f"| {seed} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
