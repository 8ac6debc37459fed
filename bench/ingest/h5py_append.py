#!/usr/bin/python3
"""The h5py baseline for the ingest benchmark: append the same points, in the same
layout as orrery-agent's run.h5, straight from Python.

Layout: /metrics/rank-R/flood/mK, one chunked, extendible compound dataset
(step int64, time float64, value float64) per (rank, name); chunks of 16384 rows
(the run.h5 writer's chunk for series this large); libver 'latest' and SWMR write
mode as the agent uses; every dataset is extended and written once per "flush
round" with BATCH rows, then the file is flushed (the agent writes one hyperslab
per series and flushes per interval).

usage: h5py_append.py OUT.h5 RANKS METRICS POINTS_PER_RANK BATCH [--no-swmr]
prints: one JSON object {points, seconds, points_per_s, batch, ...}
"""
import json
import sys
import time

import h5py
import numpy as np

ROW = np.dtype([("step", "<i8"), ("time", "<f8"), ("value", "<f8")])
CHUNK = 16384


def main():
    out, ranks, metrics, per_rank, batch = sys.argv[1], *map(int, sys.argv[2:6])
    swmr = "--no-swmr" not in sys.argv[6:]
    per_series = per_rank // metrics
    t0 = time.perf_counter()
    with h5py.File(out, "w", libver="latest") as f:
        dsets = []
        for r in range(ranks):
            for m in range(metrics):
                dsets.append(f.create_dataset(f"metrics/rank-{r}/flood/m{m}", shape=(0,), maxshape=(None,),
                                              dtype=ROW, chunks=(CHUNK,)))
        if swmr:
            f.swmr_mode = True
        done = 0
        now = time.time()
        while done < per_series:
            n = min(batch, per_series - done)
            rows = np.empty(n, dtype=ROW)
            steps = np.arange(done, done + n, dtype=np.int64)
            rows["step"] = steps
            rows["time"] = now + steps * 1e-7
            for k, d in enumerate(dsets):
                rows["value"] = steps * 0.5 + k
                d.resize((done + n,))
                d[done:done + n] = rows
            f.flush()
            done += n
    seconds = time.perf_counter() - t0
    points = per_series * ranks * metrics
    print(json.dumps({"points": points, "seconds": seconds, "points_per_s": points / seconds, "batch": batch,
                      "datasets": ranks * metrics, "swmr": swmr}))


if __name__ == "__main__":
    main()
