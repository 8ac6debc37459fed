"""serve-sim: Infinite-LLM's question. With a mix of short and very long contexts on a cluster
of 1-GPU instances, how many requests meet the SLOs when the long ones (larger than one
instance's KV) are refused, served by borrowing KV on other instances (kv_spanning=on), or
served by instances built large enough for them (tp=4: 4 GPUs' KV each, as a static
model-parallel deployment sized for the longest context)? And, for disaggregated placement,
what KV transfers sharing the instances' links (link_sharing=on) cost.

Runs orrery-serve-sim directly on a trace written here (seeded), 13B-like costs of
serve_sim_bench.py (stated in bench/serve_sim/README.md).
    python3 bench/serve_sim/kv_spanning_bench.py --bin BUILD/bin
"""
import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from serve_sim_bench import COST_13B

# 40 GiB / 819,200 B = 52,428 KV tokens per GPU. Long contexts of 60k-180k tokens need 2-4 GPUs' KV.
LONG_PROMPT = (60_000, 180_000)
SHORT_PROMPT, SHORT_OUTPUT, LONG_OUTPUT = (64, 2048), (16, 512), (64, 256)
SLO = {"slo_ttft_ms": 40_000, "slo_tpot_ms": 150}  # a 180k-token prompt alone prefills in ~31 s
GPUS, DURATION_S = 8, 120
LINE = re.compile(r"goodput ([0-9.]+) req/s \(([0-9.]+) % met the SLOs\), TTFT p50 ([0-9.]+) s p90 ([0-9.]+) s, "
                  r"TPOT p50 ([0-9.]+) s p90 ([0-9.]+) s")


def workload(rate, long_share, seed):
    rng = np.random.default_rng(seed)
    t, out = 0.0, []
    while True:
        t += rng.exponential(1 / rate)
        if t >= DURATION_S:
            return out
        if rng.random() < long_share:
            out.append({"arrival_s": t, "prompt_tokens": int(rng.integers(*LONG_PROMPT)), "output_tokens": int(rng.integers(*LONG_OUTPUT))})
        else:
            p = int(np.clip(np.exp(rng.normal(np.log(360), 0.9)), *SHORT_PROMPT))
            o = int(np.clip(np.exp(rng.normal(np.log(90), 0.9)), *SHORT_OUTPUT))
            out.append({"arrival_s": t, "prompt_tokens": p, "output_tokens": o})


def simulate(binary, trace, params):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for r in trace:
            f.write(json.dumps(r) + "\n")
    args = [str(binary), f"--trace={f.name}", "--per_request_limit=0"] + [f"--{k}={v}" for k, v in {**COST_13B, **SLO, **params}.items()]
    p = subprocess.run(args, capture_output=True, text=True, check=True)
    Path(f.name).unlink()
    lines = p.stdout.strip().splitlines()
    goodput, met, ttft50, ttft90, tpot50, tpot90 = map(float, LINE.search(lines[-1]).groups())
    borrowed = re.search(r"(\d+) requests borrowed (\d+) tokens", p.stdout)
    return {"goodput": goodput, "met": met / 100, "ttft": (ttft50, ttft90), "tpot": (tpot50, tpot90),
            "spanning": int(borrowed.group(1)) if borrowed else 0}


def spanning_table(binary):
    kv_per_gpu = int(COST_13B["kv_gib_per_gpu"] * 2**30 / COST_13B["kv_bytes_per_token"])
    print(f"## Long contexts: {GPUS} GPUs, {DURATION_S} s of Poisson arrivals, SLOs TTFT {SLO['slo_ttft_ms'] / 1000:.0f} s, "
          f"TPOT {SLO['slo_tpot_ms']} ms, batch limit 32\n")
    print("Attainment counts every offered request (a refused one misses); goodput is SLO-meeting requests per second of the "
          f"{DURATION_S} s of arrivals (the simulator's own goodput divides by the run's span, which the long requests stretch).\n")
    print("| rate (req/s) | long share | offered | long | policy | served | spanning | attainment | goodput (req/s) | TTFT p90 (s) | TPOT p50 / p90 (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for rate, share in [(2, 0.02), (2, 0.05), (4, 0.02)]:
        trace = workload(rate, share, seed=7)
        fits = [r for r in trace if r["prompt_tokens"] + r["output_tokens"] <= kv_per_gpu]
        n, n_long = len(trace), len(trace) - len(fits)
        disaggregated = {"instances": GPUS, "placement": "disaggregated", "prefill_instances": GPUS // 2}
        policies = [("colocated 8: refuse the long (spanning off)", fits, {"instances": GPUS}),
                    ("colocated 8: kv_spanning=on", trace, {"instances": GPUS, "kv_spanning": "on"}),
                    ("colocated 8: kv_spanning=on, hop 1 ms", trace, {"instances": GPUS, "kv_spanning": "on", "kv_span_hop_ms": 1}),
                    ("colocated 8: kv_spanning=on, kv_span_drain=on", trace, {"instances": GPUS, "kv_spanning": "on", "kv_span_drain": "on"}),
                    (f"colocated {GPUS // 4} x tp=4 (no spanning needed)", trace, {"instances": GPUS // 4, "tp": 4}),
                    ("4P+4D: refuse the long", fits, disaggregated),
                    ("4P+4D: kv_spanning=on", trace, dict(disaggregated, kv_spanning="on")),
                    ("4P+4D: kv_spanning=on, kv_span_drain=on", trace, dict(disaggregated, kv_spanning="on", kv_span_drain="on"))]
        for name, served, params in policies:
            r = simulate(binary, served, dict(params, batch_limit=32))
            met = r["met"] * len(served)
            print(f"| {rate} | {share:.2f} | {n} | {n_long} | {name} | {len(served)} | {r['spanning']} | {met / n:.3f} | "
                  f"{met / DURATION_S:.3f} | {r['ttft'][1]:.2f} | {r['tpot'][0] * 1e3:.1f} / {r['tpot'][1] * 1e3:.1f} |")
    print()


def link_table(binary):
    print("## Shared links: disaggregated 4P+4D, short requests only, SLOs TTFT 250 ms, TPOT 100 ms\n")
    print("| rate (req/s) | KV link (GB/s) | link_sharing | attainment | goodput (req/s) | TTFT p90 (ms) | TPOT p90 (ms) |")
    print("|---|---|---|---|---|---|---|")
    for rate, gbps in [(16, 25), (16, 2), (32, 2)]:
        trace = workload(rate, 0.0, seed=11)
        for sharing in ("off", "on"):
            r = simulate(binary, trace, {"placement": "disaggregated", "instances": 8, "prefill_instances": 4, "batch_limit": 32,
                                         "kv_gbps": gbps, "link_sharing": sharing, "slo_ttft_ms": 250, "slo_tpot_ms": 100})
            print(f"| {rate} | {gbps} | {sharing} | {r['met']:.3f} | {r['goodput']:.3f} | {r['ttft'][1] * 1e3:.0f} | {r['tpot'][1] * 1e3:.1f} |")
    print()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(Path(__file__).resolve().parents[2] / "build" / "bin"))
    binary = Path(ap.parse_args().bin) / "orrery-serve-sim"
    spanning_table(binary)
    link_table(binary)
