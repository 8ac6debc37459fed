"""serve-sim benchmarks: the simulator's speed at scale (1,000 simulated GPUs, ~1,000,000
requests, colocated and disaggregated: wall time and events per second) and a DistServe-style
table (best goodput per GPU, colocated vs disaggregated, across arrival rates and TPOT SLOs)
for a 13B-like cost model on A100-like GPUs (below).

Runs orrery-serve-sim directly (no agent: it prints its summary line).
    python3 bench/serve_sim/serve_sim_bench.py --bin BUILD/bin [--scale-only | --table-only]
"""
import argparse
import re
import subprocess
import time
from pathlib import Path

# 13B-like (OPT-13B: 40 layers, hidden 5120, fp16) on one A100-80GB-like GPU:
# prefill ~2 x 13e9 FLOP per token at ~150 TFLOP/s -> 0.17 ms/token; a decode step reads the
# 26 GB of weights at ~2 TB/s -> 13 ms, plus 0.1 ms per sequence, plus its KV: 2 x 40 x 5120 x 2 B
# = 819,200 B per token at 2 TB/s -> 0.41 us per context token; 40 GiB of KV per GPU (80 GB less
# the weights and activations); KV moves prefill -> decode at 25 GB/s (a cross-node link).
COST_13B = {"prefill_ms_per_token": 0.17, "decode_fixed_ms": 13, "decode_ms_per_seq": 0.1,
            "decode_us_per_context_token": 0.41, "kv_bytes_per_token": 819200, "kv_gib_per_gpu": 40, "kv_gbps": 25}
# Chat-like lengths (ShareGPT-shaped: log-normal, long tails).
WORKLOAD = {"prompt_min": 64, "prompt_max": 2048, "output_min": 16, "output_max": 512, "lengths": "lognormal"}

LINE = re.compile(r"(\d+) events in ([0-9.]+) s")


def run(binary, params):
    args = [str(binary)] + [f"--{k}={v}" for k, v in params.items()]
    start = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, check=True)
    return p.stdout.strip().splitlines()[-1], time.monotonic() - start


def scale(binary):
    print("## Scale: 1,000 simulated GPUs, 200 s of arrivals at 5,000 req/s (~1,000,000 requests)\n")
    print("| placement | process wall (s) | simulation (s) | events | events/s | goodput (req/s) |")
    print("|---|---|---|---|---|---|")
    base = dict(COST_13B, **WORKLOAD, rate=5000, duration_s=200, instances=1000, batch_limit=64, slo_ttft_ms=250,
                slo_tpot_ms=100, per_request_limit=0)
    for name, extra in [("colocated 1000", {}), ("disaggregated 600P+400D", {"placement": "disaggregated", "prefill_instances": 600})]:
        line, wall = run(binary, dict(base, **extra))
        events, sim_s = LINE.search(line).groups()
        goodput = re.search(r"goodput ([0-9.]+)", line).group(1)
        print(f"| {name} | {wall:.2f} | {float(sim_s):.2f} | {int(events):,} | {int(events) / float(sim_s):,.0f} | {goodput} |")
    print()


def table(binary):
    print("## DistServe-style: best goodput per GPU (up to 12 instances of 1 GPU, batch limits 16 and 64), TTFT SLO 250 ms\n")
    print("| rate (req/s) | TPOT SLO (ms) | best colocated | per GPU | best disaggregated | per GPU | disagg / coloc |")
    print("|---|---|---|---|---|---|---|")
    for tpot in (100, 40):
        for rate in (4, 8, 16, 32):
            line, _ = run(binary, dict(COST_13B, **WORKLOAD, mode="search", rate=rate, duration_s=120, max_instances=12,
                                       batch_limits="16,64", slo_ttft_ms=250, slo_tpot_ms=tpot))
            m = re.search(r"best colocated: (.*?) \(([0-9.]+) req/s per GPU\); best disaggregated: (.*?) \(([0-9.]+) req/s per GPU\); ratio ([0-9.]+)", line)
            c, cg, d, dg, ratio = m.groups()
            print(f"| {rate} | {tpot} | {c} | {float(cg):.3f} | {d} | {float(dg):.3f} | {float(ratio):.2f} |")
    print()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(Path(__file__).resolve().parents[2] / "build" / "bin"))
    ap.add_argument("--scale-only", action="store_true")
    ap.add_argument("--table-only", action="store_true")
    a = ap.parse_args()
    binary = Path(a.bin) / "orrery-serve-sim"
    if not a.table_only:
        scale(binary)
    if not a.scale_only:
        table(binary)
