"""Generation tokens/s of the same checkpoint: gpt-serve's engine (1 rank, 1 thread, a
trace of B requests arriving at once, greedy) against PyTorch (gpt_reference.py's model,
1 thread, the same B prompts as one batch, greedy), both with a KV cache in PyTorch's case
written here with the reference's modules, and without (recomputing the whole sequence
each token, what the reference model alone does). Prints a table.

    /usr/bin/python3 bench/gpt_serve/tokens_per_s.py --build build --checkpoint CKPT --corpus TEXT
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "gpt-train" / "python"))
import gpt_reference  # noqa: E402


def cached_step(model, tokens, cache, pos):
    """Logits of the last position after feeding tokens (B,n) at positions pos.., keys and values kept in cache."""
    B, n = tokens.shape
    C = model.wte.weight.shape[1]
    x = model.wte(tokens) + model.wpe(torch.arange(pos, pos + n))
    for i, block in enumerate(model.h):
        hs = C // block.heads
        q, k, v = block.attn.c_attn(block.ln_1(x)).split(C, dim=2)
        q, k, v = (z.view(B, n, block.heads, hs).transpose(1, 2) for z in (q, k, v))
        if cache[i] is not None:
            k, v = torch.cat((cache[i][0], k), dim=2), torch.cat((cache[i][1], v), dim=2)
        cache[i] = (k, v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        mask = torch.ones(n, pos + n, dtype=torch.bool).tril(diagonal=pos)
        y = (att.masked_fill(~mask, float("-inf")).softmax(dim=-1) @ v).transpose(1, 2).reshape(B, n, C)
        x = x + block.attn.c_proj(y)
        x = x + block.mlp.c_proj(F.gelu(block.mlp.c_fc(block.ln_2(x)), approximate="tanh"))
    return model.ln_f(x[:, -1]) @ model.wte.weight.T


def torch_generate(model, prompts, new_tokens, cached):
    seq = prompts
    with torch.no_grad():
        if cached:
            cache = [None] * len(model.h)
            logits = cached_step(model, prompts, cache, 0)
            out = [logits.argmax(-1)]
            for _ in range(new_tokens - 1):
                logits = cached_step(model, out[-1][:, None], cache, prompts.shape[1] + len(out) - 1)
                out.append(logits.argmax(-1))
            return torch.stack(out, 1)
        for _ in range(new_tokens):
            logits, _ = model(seq)
            seq = torch.cat((seq, logits[:, -1].argmax(-1)[:, None]), 1)
        return seq[:, prompts.shape[1]:]


def engine_tokens_per_s(build, checkpoint, corpus, batch, prompt, new_tokens, work):
    trace = work / f"burst-{batch}.jsonl"
    trace.write_text("".join(json.dumps({"arrival_s": 0, "prompt_tokens": prompt, "output_tokens": new_tokens}) + "\n"
                             for _ in range(batch)))
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    out = subprocess.run([str(build / "bin" / "orrery-gpt-serve"), f"--checkpoint={checkpoint}", f"--corpus={corpus}",
                          f"--cache_dir={work / 'cache'}", f"--trace={trace}", f"--batch_limit={batch}", "--threads=1",
                          "--kv_blocks=1024", "--block_size=16"], check=True, env=env, capture_output=True, text=True).stdout
    m = re.search(r"(\d+) tokens in ([\d.]+) s: ([\d.]+) tokens/s", out)
    if not m:
        raise RuntimeError(out)
    return float(m.group(3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--prompt", type=int, default=32)
    ap.add_argument("--new_tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = gpt_reference.load_checkpoint(a.checkpoint)
    model.eval()
    V = model.wte.weight.shape[0]
    work = Path(tempfile.mkdtemp(prefix="orrery-bench-serve-tps-"))
    print(f"torch {torch.__version__}, 1 thread; prompt {a.prompt}, {a.new_tokens} new tokens a request, greedy; best of {a.repeats}")
    print("| batch | gpt-serve engine (tokens/s) | PyTorch, KV cache | PyTorch, recompute |")
    print("|---:|---:|---:|---:|")
    for batch in (int(b) for b in a.batches.split(",")):
        prompts = torch.randint(0, V, (batch, a.prompt), generator=torch.Generator().manual_seed(batch))
        with_cache = torch_generate(model, prompts, a.new_tokens, True)
        assert torch.equal(with_cache, torch_generate(model, prompts, a.new_tokens, False)), "cached != recomputed tokens"
        best = {}
        for cached in (True, False):
            times = []
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                torch_generate(model, prompts, a.new_tokens, cached)
                times.append(time.perf_counter() - t0)
            best[cached] = batch * a.new_tokens / min(times)
        engine = max(engine_tokens_per_s(Path(a.build).resolve(), a.checkpoint, a.corpus, batch, a.prompt, a.new_tokens, work)
                     for _ in range(a.repeats))
        print(f"| {batch} | {engine:.0f} | {best[True]:.0f} | {best[False]:.0f} |", flush=True)


if __name__ == "__main__":
    main()
