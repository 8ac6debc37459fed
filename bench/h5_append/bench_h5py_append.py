#!/usr/bin/python3
"""The same appends as bench_h5_append, through h5py: the baseline for run.sh.

Same layout (one compound {step,time,value} dataset per rank and metric, chunked and
extendible, libver latest, SWMR mode) and the same flush interval. Points are buffered
per series in numpy arrays between flushes, as a careful h5py user would, and each
flush writes one slice per series: the best case for h5py, not a per-point strawman.

    bench_h5py_append.py [--ranks 8] [--metrics 16] [--points 20000000] [--batch 256]
                         [--flush-every 2000000] [--out run.h5]
Prints one line: h5py points=... seconds=... points_per_s=...
"""
import argparse
import os
import time

import h5py
import numpy as np

ROW = np.dtype([("step", "<i8"), ("time", "<f8"), ("value", "<f8")])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ranks", type=int, default=8)
    p.add_argument("--metrics", type=int, default=16)
    p.add_argument("--points", type=int, default=20_000_000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--flush-every", type=int, default=2_000_000)
    p.add_argument("--out", default="bench-h5py.h5")
    a = p.parse_args()
    series = a.ranks * a.metrics
    offsets = np.arange(a.batch, dtype=np.int64)

    t0 = time.perf_counter()
    kwargs = {"locking": False} if h5py.version.version_tuple[:2] >= (3, 5) else {}
    with h5py.File(a.out, "w", libver="latest", **kwargs) as f:
        dsets = []
        for s in range(series):
            path = f"metrics/rank-{s % a.ranks}/train/metric_{s // a.ranks}"
            dsets.append(f.create_dataset(path, shape=(0,), maxshape=(None,), dtype=ROW, chunks=(16384,)))
        f.swmr_mode = True
        pending = [[] for _ in range(series)]
        next_step = [0] * series
        written = since_flush = 0

        def flush():
            for s, parts in enumerate(pending):
                if not parts:
                    continue
                rows = np.concatenate(parts)
                ds = dsets[s]
                n = ds.shape[0]
                ds.resize((n + len(rows),))
                ds[n:] = rows
                parts.clear()
            f.flush()

        while written < a.points:
            for s in range(series):
                if written >= a.points:
                    break
                step = next_step[s] + offsets
                rows = np.empty(a.batch, dtype=ROW)
                rows["step"] = step
                rows["time"] = 1.7e9 + step * 1e-3
                rows["value"] = s + offsets * 1e-6
                pending[s].append(rows)
                next_step[s] += a.batch
                written += a.batch
                since_flush += a.batch
                if since_flush >= a.flush_every:
                    flush()
                    since_flush = 0
        flush()
    seconds = time.perf_counter() - t0
    print(f"h5py points={written} seconds={seconds:.3f} points_per_s={written / seconds:.0f} "
          f"file_bytes={os.path.getsize(a.out)}")


if __name__ == "__main__":
    main()
