#!/usr/bin/python3
"""Aggregation time on rank 0 (metric aggregation_ms: from the end of its local training to the
new model, the update exchange included) with and without aggregation_tree, through the real
CLI: 10,000 digits_shifted clients, all in every round, FedAvg.

    bench/fed_sim/aggregation_time.py [BUILD_DIR] [--ranks 2] [--passes 2]

The two modes alternate, so a change of load on a shared machine hits both."""
import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fed_bench_support import BenchProject, series  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--passes", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="orrery-fed-agg-") as tmp:
        prj = BenchProject(tmp, a.build)
        print(f"# median aggregation_ms over 6 rounds, 10,000 clients, {a.ranks} ranks (one value per pass)")
        print("| model | gather to rank 0 | aggregation_tree |")
        print("|---|---|---|")
        for model in ("logreg", "mlp"):
            got = {False: [], True: []}
            for p in range(a.passes):
                for tree in (False, True):
                    run_h5 = prj.run(f"agg-{model}-{tree}-{p}", {"dataset": "digits_shifted", "clients": 10000, "rounds": 6,
                                                                 "model": model, "aggregation_tree": tree, "eval_every": 6},
                                     a.ranks)
                    got[tree].append(float(np.median(series(run_h5, "aggregation_ms")["value"])))
            print(f"| {model} | " + " | ".join(" / ".join(f"{v:.1f}" for v in got[t]) for t in (False, True)) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
