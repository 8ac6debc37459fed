#!/usr/bin/python3
"""Ranks -> agent over unix sockets vs over TCP with CURVE (a target's rank_interface).

Two ssh targets on the test bed's sshd (127.0.0.1): "ipc" (the default: the ranks reach the
agent's unix sockets) and "tcp" (rank_interface 127.0.0.1: ZeroMQ TCP, CURVE-encrypted). Each
run is a bench_flood_worker (bench/ingest) on RANKS ranks sending POINTS points each, unpaced
(the runtime drops what its bounded buffers cannot hold: a saturation figure) or paced at RATE;
the run's folder is copied back and the figure is the points stored in run.h5 (h5py) over
the run's own span (run.json started -> ended: mpirun's start-up and the agent's final
flush included), with the agent's drop count. Runs alternate between the two targets.

    BIN=<build>/bin [FLOOD=<path to bench_flood_worker>] /usr/bin/python3 bench/remote/rank_channel_bench.py \\
        [--repeat 3] [--ranks 2] [--points 2000000] [--rate 0]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
import h5py  # noqa: E402

from e2e_support import BIN, ORRERY, Project, env  # noqa: E402
from remote_testbed import SshTestBed  # noqa: E402


def stored_points(run_h5):
    total = 0

    def add(_name, obj):
        nonlocal total
        if isinstance(obj, h5py.Dataset):
            total += len(obj)

    with h5py.File(run_h5, "r") as f:
        f["metrics"].visititems(add)   # metric names with '/' are nested groups (flood/m0)
    return total


def seconds(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if isinstance(stamp, str) else float(stamp)


def one_run(prj, bed, flood, target, ranks, points, rate):
    pacing = ["--rate", str(rate), "--pace", "sleep"] if rate > 0 else []
    spec = prj.spec(f"flood-{target}", {"kind": "command", "name": f"flood-{target}", "ranks": ranks, "params": {
        "argv": [str(flood), "--points", str(points), "--metrics", "4", *pacing]}})
    p = subprocess.run([ORRERY, "-p", str(prj.root), "run", spec, "--target", target, "-q"], capture_output=True,
                       text=True, timeout=600, env=bed.env(env()))
    assert p.returncode == 0, (p.stdout, p.stderr)
    run_id = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]
    run_dir = prj.root / "runs" / run_id
    rec = json.loads((run_dir / "run.json").read_text())
    span = seconds(rec["ended"]) - seconds(rec["started"])
    return stored_points(run_dir / "run.h5"), span, rec.get("dropped", 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--points", type=int, default=2000000)
    ap.add_argument("--rate", type=int, default=0, help="points/s per rank (0: unpaced, as fast as the rank can)")
    args = ap.parse_args()
    flood = Path(os.environ.get("FLOOD", BIN / "bench_flood_worker"))
    if not flood.exists():
        sys.exit(f"no {flood}: build bench_flood_worker with -DORRERY_BUILD_BENCH=ON")
    with SshTestBed(addresses=("127.0.0.1",)) as bed:
        prj = Project("rank-channel-bench")
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "ipc": bed.target(0), "tcp": bed.target(0, rank_interface="127.0.0.1")}}))
        rates = {"ipc": [], "tcp": []}
        for _ in range(args.repeat):
            for target in ("ipc", "tcp"):
                n, span, dropped = one_run(prj, bed, flood, target, args.ranks, args.points, args.rate)
                print(f"  {target}: {n} points stored in {span:.2f} s, {dropped} dropped", flush=True)
                rates[target].append(n / span)
        total = args.ranks * args.points
        pace = f"paced at {args.rate}/s per rank" if args.rate > 0 else "unpaced"
        print(f"{args.ranks} ranks x {args.points} points ({pace}), points in run.h5 / run span, "
              f"{args.repeat} runs each (median, min-max):")
        for target, label in (("ipc", "unix sockets"), ("tcp", "TCP + CURVE")):
            v = rates[target]
            print(f"  {label:14s} {statistics.median(v):11,.0f} points/s  ({min(v):,.0f}-{max(v):,.0f}); "
                  f"each run stores {total:,} points when nothing is lost")


if __name__ == "__main__":
    main()
