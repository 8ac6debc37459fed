#!/usr/bin/python3
"""Monte Carlo estimate of pi across MPI ranks: the mpi-pi-py job kind.

Each round, every rank draws points uniformly in the unit square and counts
those inside the quarter circle; an allreduce sums the counts, and pi is
4 * inside / total over all rounds so far. Reports go through orrery_reporter:
rank 0 reports pi_estimate and abs_error (job-wide), every rank reports its
own samples_per_s, and all ranks report progress.

Installed as share/orrery/scripts/mpi_pi.py; the reporter lives in
share/orrery/python/, found relative to this file.
"""

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))

import numpy as np  # noqa: E402
from mpi4py import MPI  # noqa: E402

import orrery_reporter as orrery  # noqa: E402

CHUNK = 1 << 20  # points per numpy batch: bounds memory for any samples_per_round


def count_inside(rng, samples):
    inside = 0
    left = samples
    while left > 0:
        n = min(left, CHUNK)
        x = rng.random(n)
        y = rng.random(n)
        inside += int(np.count_nonzero(x * x + y * y <= 1.0))
        left -= n
    return inside


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=positive_int, default=20, help="rounds of sampling (default 20)")
    parser.add_argument("--samples-per-round", type=positive_int, default=1_000_000,
                        help="points each rank draws per round (default 1000000)")
    parser.add_argument("--seed", type=int, default=12345, help="random seed (default 12345)")
    args = parser.parse_args(argv)

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    # One independent, reproducible stream per rank.
    rng = np.random.default_rng([args.seed, rank])

    local = np.zeros(2, dtype=np.int64)   # inside, drawn (this round)
    total = np.zeros(2, dtype=np.int64)   # inside, drawn (all ranks, this round)
    inside_all = drawn_all = 0
    if rank == 0:
        print(f"mpi_pi: {size} ranks, {args.rounds} rounds of {args.samples_per_round} samples per rank, "
              f"seed {args.seed}", flush=True)

    for r in range(1, args.rounds + 1):
        t0 = time.perf_counter()
        local[0] = count_inside(rng, args.samples_per_round)
        local[1] = args.samples_per_round
        elapsed = time.perf_counter() - t0
        comm.Allreduce(local, total, op=MPI.SUM)
        inside_all += int(total[0])
        drawn_all += int(total[1])

        rate = args.samples_per_round / elapsed if elapsed > 0 else float("inf")
        if rank == 0:
            pi = 4.0 * inside_all / drawn_all
            error = abs(pi - math.pi)
            orrery.report(r, pi_estimate=pi, abs_error=error, samples_per_s=rate)
            print(f"round {r}/{args.rounds}: pi ~ {pi:.8f}  error {error:.2e}  ({drawn_all} samples)", flush=True)
        else:
            orrery.report(r, samples_per_s=rate)
        orrery.progress(r, args.rounds)

    if rank == 0:
        pi = 4.0 * inside_all / drawn_all
        orrery.event("info", f"pi ~ {pi:.8f} from {drawn_all} samples on {size} ranks (error {abs(pi - math.pi):.2e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
