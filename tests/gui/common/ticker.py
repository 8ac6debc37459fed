"""A test worker for the run data service and the runs browser: prints
{"step": i, "loss": ..., "lr": ...} lines (plain metric lines of the `command` kind)
at a steady rate, with progress lines, and can fail on purpose."""
import argparse
import json
import math
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=300)
p.add_argument("--rate", type=float, default=100.0, help="lines per second")
p.add_argument("--fail-step", type=int, default=-1, help="rank 0 exits with code 3 at this step")
args = p.parse_args()

rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("ORRERY_RANK", "0")))
start = time.monotonic()
for step in range(args.steps):
    print(json.dumps({"step": step, "loss": math.exp(-step / 100.0) + 0.01 * rank, "lr": 0.001 * (1 + rank)}), flush=True)
    if step % 10 == 0:
        print(json.dumps({"orrery": 1, "progress": [step + 1, args.steps]}), flush=True)
    if rank == 0 and step == args.fail_step:
        print("failing on purpose", file=sys.stderr, flush=True)
        sys.exit(3)
    delay = start + (step + 1) / args.rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
print(json.dumps({"orrery": 1, "progress": [args.steps, args.steps]}), flush=True)
