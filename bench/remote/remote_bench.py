#!/usr/bin/python3
"""Remote launch figures against the SSH test bed (tests/e2e/remote_testbed.py: real sshd on loopback).

1. Launch -> first chart point: wall time from starting `orrery run` to the first metric point's
   own timestamp in run.h5 (the rank's clock; same machine), for a 1-rank `command` job printing
   a metric every 50 ms: local; SSH cold (no control master, binaries to deploy); SSH cold
   connection (binaries already there); SSH warm (master up, nothing to deploy); Slurm (the
   single-node Slurm of tests/e2e/slurm_testbed.py, idle node: sbatch, the job's start, the
   agent inside the allocation, srun --mpi=pmix).
2. Telemetry through the tunnel: a 1-rank bench_flood_worker (bench/ingest) paced at RATE points/s;
   a ZeroMQ subscriber on the run's feed socket (the agent's own locally, the forwarded one over
   SSH) counts the points that reach it.

    BIN=<build>/bin [FLOOD=<path to bench_flood_worker>] bench/remote/remote_bench.py [--repeat 3] [--rate 200000]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
import h5py  # noqa: E402
import msgpack  # noqa: E402
import zmq  # noqa: E402

from e2e_support import BIN, ORRERY, Project, env, slow_spec  # noqa: E402
from remote_testbed import SshTestBed  # noqa: E402
from slurm_testbed import PARTITION, SlurmTestBed  # noqa: E402


def run_cli(prj, bed, *args):
    return subprocess.run([ORRERY, "-p", str(prj.root), *map(str, args)], capture_output=True, text=True,
                          env=bed.env(env()), timeout=300)


def first_point_delay(prj, bed, spec, target):
    t0 = time.time()
    p = run_cli(prj, bed, "run", spec, "--target", target, "-q")
    assert p.returncode == 0, (p.stdout, p.stderr)
    run_id = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and ("started" in l or "submitted" in l)][0]
    with h5py.File(prj.root / "runs" / run_id / "run.h5", "r") as f:
        return float(f["metrics/rank-0/loss"][:]["time"].min()) - t0


def close_masters(bed):
    for sock in bed.control_sockets():
        subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "unused"], capture_output=True)


class PointCounter:
    def __init__(self):
        self.points = 0
        self.first = self.last = None
        self.running = True

    def follow(self, endpoint):
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"batch")
        sub.setsockopt(zmq.RCVHWM, 100000)
        sub.connect(endpoint)
        while self.running:
            if not sub.poll(100):
                continue
            topic, body = sub.recv_multipart()[:2]
            batch = msgpack.unpackb(body, raw=False)
            n = sum(len(m[1]) // 8 if isinstance(m[1], bytes) else len(m[1]) for m in batch.get("m", []))
            if n:
                now = time.time()
                self.first = self.first or now
                self.last = now
                self.points += n
        sub.close(0)
        ctx.term()


def throughput(prj, bed, flood, target, points, rate):
    spec = prj.spec(f"flood-{target}", {"kind": "command", "name": f"flood-{target}", "ranks": 1, "params": {
        "argv": [str(flood), "--points", str(points), "--metrics", "4", "--rate", str(rate), "--pace", "sleep"]}})
    before = set((prj.root / "runs").iterdir()) if (prj.root / "runs").exists() else set()
    proc = subprocess.Popen([ORRERY, "-p", str(prj.root), "run", spec, "--target", target, "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=bed.env(env()))
    counter = PointCounter()
    thread = None
    deadline = time.time() + 60
    while thread is None and time.time() < deadline:
        for d in set((prj.root / "runs").glob(f"*-flood-{target}-*")) - before:
            try:
                feed = json.loads((d / "run.json").read_text())["agent"]["feed"]
            except (OSError, ValueError, KeyError):
                continue
            if feed:
                thread = threading.Thread(target=counter.follow, args=(feed,), daemon=True)
                thread.start()
        time.sleep(0.01)
    out, err = proc.communicate(timeout=300)
    counter.running = False
    thread.join()
    assert proc.returncode == 0, (out, err)
    span = (counter.last - counter.first) if counter.first else 0
    return counter.points, span


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rate", type=int, default=200000)
    ap.add_argument("--points", type=int, default=600000)
    args = ap.parse_args()
    flood = Path(os.environ.get("FLOOD", BIN / "bench_flood_worker"))
    with SshTestBed(addresses=("127.0.0.1",)) as bed, SlurmTestBed() as slurm:
        prj = Project("remote-bench")
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "local": {"type": "local"}, "lo": bed.target(0), "slurm": {"type": "slurm", "partition": PARTITION}}}))
        spec = prj.spec("first", slow_spec("first", ranks=1, steps=5, sleep=0.05))
        rows = {"local": [], "ssh cold (connect + deploy)": [], "ssh cold connection": [], "ssh warm": [],
                "slurm (local sbatch, idle node)": []}
        bed.env = lambda base, ssh_env=bed.env: slurm.env(ssh_env(base))   # orrery reaches both beds
        for _ in range(args.repeat):
            rows["slurm (local sbatch, idle node)"].append(first_point_delay(prj, bed, spec, "slurm"))
            rows["local"].append(first_point_delay(prj, bed, spec, "local"))
            close_masters(bed)
            subprocess.run(["rm", "-rf", str(bed.root / "remote-127.0.0.1" / "bin")], check=True)
            rows["ssh cold (connect + deploy)"].append(first_point_delay(prj, bed, spec, "lo"))
            close_masters(bed)
            rows["ssh cold connection"].append(first_point_delay(prj, bed, spec, "lo"))
            rows["ssh warm"].append(first_point_delay(prj, bed, spec, "lo"))
        print(f"launch -> first chart point, 1-rank command job, {args.repeat} runs each (median, min-max):")
        for name, v in rows.items():
            print(f"  {name:30s} {statistics.median(v) * 1000:7.0f} ms   ({min(v) * 1000:.0f}-{max(v) * 1000:.0f})")
        if flood.exists():
            print(f"telemetry to a feed subscriber, flood worker {args.points} points at {args.rate}/s:")
            for target in ("local", "lo"):
                n, span = throughput(prj, bed, flood, target, args.points, args.rate)
                print(f"  {'local socket' if target == 'local' else 'ssh tunnel':14s} {n:8d} points received "
                      f"({100.0 * n / args.points:5.1f} %) in {span:5.2f} s = {n / span if span else 0:9.0f} points/s")
        else:
            print(f"(no {flood}: build bench_flood_worker with -DORRERY_BUILD_BENCH=ON for the throughput figures)")


if __name__ == "__main__":
    main()
