"""A test worker: reports metrics through the Orrery reporter line format every
step, sleeps between steps, and can be told to ignore SIGTERM or fail on purpose."""
import argparse
import json
import os
import signal
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=100)
p.add_argument("--sleep", type=float, default=0.05)
p.add_argument("--ignore-sigterm", action="store_true")
p.add_argument("--fail-rank", type=int, default=-1, help="this rank exits with code 7 at --fail-step")
p.add_argument("--fail-step", type=int, default=5)
args = p.parse_args()

rank = int(os.environ.get("ORRERY_RANK", "0"))
if args.ignore_sigterm:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

print(f"rank {rank}: starting {args.steps} steps", flush=True)
for step in range(args.steps):
    loss = 1.0 / (1 + step) + 0.01 * rank
    print(json.dumps({"orrery": 1, "step": step, "metrics": {"loss": loss, "rank_value": float(rank)}}), flush=True)
    print(json.dumps({"orrery": 1, "progress": [step + 1, args.steps]}), flush=True)
    if rank == args.fail_rank and step == args.fail_step:
        print(f"rank {rank}: failing on purpose at step {step}", file=sys.stderr, flush=True)
        sys.exit(7)
    time.sleep(args.sleep)
print(f"rank {rank}: done", flush=True)
