"""Tokens/s of the same model in PyTorch (plugins/gpt-train/python/gpt_reference.py), same
threads, same batch, AdamW and clipping as the worker, on random token ids (the data
pipeline is not what is timed). Prints one line: 'torch: mean step S s, N tokens/s'.

On the GPU (--device=cuda) --precision says which arithmetic the matrix products use:
fp32 (torch.set_float32_matmul_precision('highest'), as the worker's fp32), bf16 (fp32
tensors whose products run on bf16 tensor cores, 'medium': the worker's bf16, cuBLAS's
COMPUTE_32F_FAST_16BF), or autocast (torch.autocast to bf16: activations stored in bf16 too,
PyTorch's usual mixed precision)."""
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
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--precision", choices=("fp32", "bf16", "autocast"), default="fp32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    torch.set_float32_matmul_precision("medium" if a.precision == "bf16" else "highest")
    device = torch.device(a.device)
    model = gpt_reference.Gpt(a.vocab, a.context, a.layers, a.heads, a.channels).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    rows = torch.randint(0, a.vocab, (a.batch_size, a.context + 1), device=device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    times = []
    for step in range(a.steps + 1):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.precision == "autocast"):
            _, loss = model(rows[:, :-1], rows[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sync()
        if step > 0:  # the first warms up, as in the worker's summary
            times.append(time.perf_counter() - t0)
    step_s = sum(times) / len(times)
    where = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"torch {torch.__version__} ({where}, {a.precision}): mean step {step_s:.4f} s, "
          f"{a.batch_size * a.context / step_s:.0f} tokens/s")


if __name__ == "__main__":
    main()
