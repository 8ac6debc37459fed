"""Tokens/s of the same model in PyTorch (plugins/gpt-train/python/gpt_reference.py), same
threads, same batch, AdamW and clipping as the worker, on random token ids (the data
pipeline is not what is timed). Prints one line: 'torch: mean step S s, N tokens/s'."""
import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "gpt-train" / "python"))
import gpt_reference  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    for name, default in (("vocab", 4096), ("context", 256), ("layers", 6), ("heads", 6), ("channels", 384),
                          ("batch_size", 4), ("threads", 2), ("steps", 10)):
        ap.add_argument(f"--{name}", type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = gpt_reference.Gpt(a.vocab, a.context, a.layers, a.heads, a.channels)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    rows = torch.randint(0, a.vocab, (a.batch_size, a.context + 1))
    times = []
    for step in range(a.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        _, loss = model(rows[:, :-1], rows[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step > 0:  # the first warms up, as in the worker's summary
            times.append(time.perf_counter() - t0)
    step_s = sum(times) / len(times)
    print(f"torch {torch.__version__}: mean step {step_s:.4f} s, {a.batch_size * a.context / step_s:.0f} tokens/s")


if __name__ == "__main__":
    main()
