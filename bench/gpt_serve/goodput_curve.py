"""gpt-serve on 2 ranks: goodput at a fixed SLO, colocated vs disaggregated (1 prefill +
1 decode rank), across Poisson arrival rates; a PNG curve (matplotlib) and a table.

The worker runs under plain mpirun (no agent: its summary line is what is read), on a
checkpoint trained here by gpt-train (preset mini at vocab 512, context 128, 20 steps; the
weights' quality does not change the cost of serving) unless --checkpoint is given.

    /usr/bin/python3 bench/gpt_serve/goodput_curve.py --build build --png bench/gpt_serve/figures/goodput.png
"""
import argparse
import os
import re
import subprocess
import tempfile
from pathlib import Path

SUMMARY = re.compile(r"(\d+) requests, (\d+) tokens in ([\d.]+) s: ([\d.]+) tokens/s; TTFT p50 ([\d.]+) ms p90 ([\d.]+) ms; "
                     r"TPOT p50 ([\d.]+) ms p90 ([\d.]+) ms; .* met by (\d+) \(([\d.]+) %\): goodput ([\d.]+) requests/s")


def mpi_env():
    e = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
    if os.geteuid() == 0:
        e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return e


def corpus_file(work: Path):
    path = work / "corpus.txt"
    if not path.exists():
        text = subprocess.run(["/usr/bin/bible", "-l100000", "gen1:1-exo40:38"], capture_output=True, check=True, text=True).stdout
        path.write_text(text)
    return path


def train(build: Path, work: Path):
    ckpt = work / "ckpt" / "step-0000020.h5"
    if not ckpt.exists():
        subprocess.run(["mpirun", "-np", "2", str(build / "bin" / "orrery-gpt-train"), f"--corpus={corpus_file(work)}",
                        "--preset=mini", "--vocab=512", "--context=128", "--steps=20", "--batch_size=4",
                        "--val_interval=1000", "--sample_tokens=0", f"--cache_dir={work / 'cache'}",
                        f"--checkpoint_dir={work / 'ckpt'}"], check=True, env=mpi_env(), capture_output=True)
    return ckpt


def serve(build: Path, work: Path, ckpt, ranks, options):
    args = ["mpirun", "-np", str(ranks), str(build / "bin" / "orrery-gpt-serve"), f"--checkpoint={ckpt}",
            f"--corpus={corpus_file(work)}", f"--cache_dir={work / 'cache'}"] + [f"--{k}={v}" for k, v in options.items()]
    out = subprocess.run(args, check=True, env=mpi_env(), capture_output=True, text=True).stdout
    m = SUMMARY.search(out)
    if not m:
        raise RuntimeError(f"no summary in:\n{out}")
    keys = ("requests", "tokens", "span_s", "tokens_per_s", "ttft_p50_ms", "ttft_p90_ms", "tpot_p50_ms", "tpot_p90_ms",
            "met", "attainment_pct", "goodput_rps")
    return {k: float(v) for k, v in zip(keys, m.groups())}


WORKLOAD = {"prompt_min": 32, "prompt_max": 64, "output_min": 16, "output_max": 48, "batch_limit": 16, "kv_blocks": 256,
            "block_size": 16}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "orrery-bench-gpt-serve"))
    ap.add_argument("--checkpoint", default="")
    ap.add_argument("--rates", default="4,8,16,24,32,48")
    ap.add_argument("--duration_s", type=float, default=8.0)
    ap.add_argument("--slo_ttft_ms", type=float, default=250.0)
    ap.add_argument("--slo_tpot_ms", type=float, default=25.0)
    ap.add_argument("--png", default="")
    a = ap.parse_args()
    build, work = Path(a.build).resolve(), Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    ckpt = a.checkpoint or train(build, work)
    rates = [float(r) for r in a.rates.split(",")]
    rows = []
    print(f"SLO: TTFT {a.slo_ttft_ms:.0f} ms, TPOT {a.slo_tpot_ms:.0f} ms; {a.duration_s:.0f} s of Poisson arrivals, "
          f"prompts {WORKLOAD['prompt_min']}-{WORKLOAD['prompt_max']}, outputs {WORKLOAD['output_min']}-{WORKLOAD['output_max']} tokens")
    print("| rate (req/s) | placement | requests | goodput (req/s) | attainment | TTFT p90 (ms) | TPOT p90 (ms) | tokens/s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        for placement in ("colocated", "disaggregated"):
            opts = dict(WORKLOAD, placement=placement, prefill_ranks=1, rate=rate, duration_s=a.duration_s,
                        slo_ttft_ms=a.slo_ttft_ms, slo_tpot_ms=a.slo_tpot_ms)
            r = serve(build, work, ckpt, 2, opts)
            rows.append((rate, placement, r))
            print(f"| {rate:g} | {placement} | {r['requests']:.0f} | {r['goodput_rps']:.2f} | {r['attainment_pct']:.0f} % | "
                  f"{r['ttft_p90_ms']:.0f} | {r['tpot_p90_ms']:.1f} | {r['tokens_per_s']:.0f} |", flush=True)
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, (g, s) = plt.subplots(1, 2, figsize=(10, 4))
        for placement, style in (("colocated", "o-"), ("disaggregated", "s--")):
            xs = [rate for rate, p, _ in rows if p == placement]
            g.plot(xs, [r["goodput_rps"] for _, p, r in rows if p == placement], style, label=placement)
            s.plot(xs, [r["attainment_pct"] for _, p, r in rows if p == placement], style, label=placement)
        g.plot(rates, rates, ":", color="grey", label="offered rate")
        g.set(xlabel="arrival rate (requests/s)", ylabel="goodput (requests/s)",
              title=f"gpt-serve, 2 ranks, SLO TTFT {a.slo_ttft_ms:.0f} ms / TPOT {a.slo_tpot_ms:.0f} ms")
        s.set(xlabel="arrival rate (requests/s)", ylabel="SLO attainment (%)", ylim=(0, 105))
        for ax in (g, s):
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        Path(a.png).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(a.png, dpi=100)
        print(f"wrote {a.png}")


if __name__ == "__main__":
    main()
