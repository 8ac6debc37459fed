#!/usr/bin/python3
"""Summarise one flood run: points stored in run.h5 (counted with h5py), the run's
start/end and dropped count from run.json, and the workers' own result lines.

usage: analyze_run.py RUN_DIR   -> one JSON object on stdout
"""
import glob
import json
import os
import re
import sys

import h5py


def main():
    run_dir = sys.argv[1]
    with open(os.path.join(run_dir, "run.json")) as f:
        record = json.load(f)
    stored = 0
    datasets = 0
    t_first, t_last = None, None
    with h5py.File(os.path.join(run_dir, "run.h5"), "r") as h5:
        metrics = h5["metrics"]

        def visit(name, obj):
            nonlocal stored, datasets, t_first, t_last
            if isinstance(obj, h5py.Dataset):
                n = obj.shape[0]
                stored += n
                datasets += 1
                if n:
                    a, b = float(obj[0]["time"]), float(obj[n - 1]["time"])
                    t_first = a if t_first is None else min(t_first, a)
                    t_last = b if t_last is None else max(t_last, b)

        metrics.visititems(visit)
    workers = []
    pattern = re.compile(r"flood-result (.*)")
    for log in sorted(glob.glob(os.path.join(run_dir, "logs", "rank-*.log"))):
        with open(log, errors="replace") as f:
            for line in f:
                m = pattern.search(line)
                if m:
                    fields = {}
                    for kv in m.group(1).split():
                        k, v = kv.split("=", 1)
                        try:
                            fields[k] = float(v)
                        except ValueError:
                            fields[k] = v
                    workers.append(fields)
    started, ended = record.get("started", 0), record.get("ended", 0)
    out = {
        "status": record.get("status"),
        "started": started,
        "ended": ended,
        "seconds": ended - started,
        "stored": stored,
        "datasets": datasets,
        "dropped_run_json": record.get("dropped", 0),
        "dropped_workers": int(sum(w.get("dropped", 0) for w in workers)),
        "recorded_workers": int(sum(w.get("recorded", 0) for w in workers)),
        "workers_reporting": len(workers),
        "worker_points_per_s": sum(w.get("points_per_s", 0) for w in workers),
        "worker_seconds_max": max((w.get("seconds", 0) for w in workers), default=0),
        "worker_cpu_seconds": sum(w.get("cpu_seconds", 0) for w in workers),
        "ingest_window": (t_last - t_first) if t_first is not None else 0,
        "first_point_after_start": (t_first - started) if t_first is not None else 0,
        "end_after_last_point": (ended - t_last) if t_last is not None else 0,
    }
    out["points_per_s"] = stored / out["seconds"] if out["seconds"] > 0 else 0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
