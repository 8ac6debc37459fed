"""gpt-train golden test: the C++ model against the PyTorch reference (plugins/gpt-train/python).

orrery-gpt-golden builds a tiny model with fixed weights, saves it as a gpt-train checkpoint
and dumps the logits, loss and every gradient for a fixed batch, then the losses of 10 AdamW
steps. Here the checkpoint is loaded into the reference model (the repo's loader, so a
checkpoint's tensors and names are checked too), which must give the same logits, loss and
gradients within 1e-4 relative and the same 10 losses within 1e-3."""
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
import torch

from e2e_support import BIN, SOURCE

sys.path.insert(0, str(SOURCE / "plugins" / "gpt-train" / "python"))
import gpt_reference  # noqa: E402


def relative_error(ours, reference):
    ours, reference = np.asarray(ours, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    return float(np.max(np.abs(ours - reference)) / max(float(np.max(np.abs(reference))), 1e-12))


def main():
    torch.manual_seed(0)
    failures = []
    with tempfile.TemporaryDirectory(prefix="orrery-gpt-golden-") as tmp:
        dump, ckpt = Path(tmp) / "golden.h5", Path(tmp) / "step-0000000.h5"
        subprocess.run([str(BIN / "orrery-gpt-golden"), str(dump), str(ckpt)], check=True, timeout=60)
        model, _ = gpt_reference.load_checkpoint(ckpt)
        with h5py.File(dump, "r") as f:
            rows = torch.from_numpy(f["tokens"][()])
            logits, loss = model(rows[:, :-1], rows[:, 1:])
            loss.backward()
            checks = [("logits", logits.detach().numpy(), f["logits"][()]), ("loss", [loss.item()], f["loss"][()])]
            grads = dict(model.named_parameters())
            assert set(grads) == set(f["grads"]), f"gradient names differ: {set(grads) ^ set(f['grads'])}"
            checks += [(f"grad {n}", f["grads"][n][()], p.grad.numpy()) for n, p in grads.items()]
            for what, ours, ref in checks:
                err = relative_error(ours, ref)
                print(f"{what:40s} max relative difference {err:.2e}")
                if not err <= 1e-4:
                    failures.append(f"{what}: {err:.2e} > 1e-4")

            # 10 AdamW steps: warm-up 3 steps to 1e-2, cosine to 1e-3 at step 10, clip at 1.0,
            # decay 0.1 on matrices and embeddings only (as lib/gpt/adamw.hpp).
            t = f["training"]
            decayed = [p for p in model.parameters() if p.dim() >= 2]
            others = [p for p in model.parameters() if p.dim() < 2]
            opt = torch.optim.AdamW([{"params": decayed, "weight_decay": t.attrs["weight_decay_x1000"] / 1000},
                                     {"params": others, "weight_decay": 0.0}], lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
            losses = []
            for s, step_rows in enumerate(torch.from_numpy(t["tokens"][()])):
                lr = t["lr"][s]
                for g in opt.param_groups:
                    g["lr"] = float(lr)
                opt.zero_grad()
                _, step_loss = model(step_rows[:, :-1], step_rows[:, 1:])
                step_loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), t.attrs["clip_x1000"] / 1000)
                opt.step()
                losses.append(step_loss.item())
            ours = t["losses"][()]
            print("losses (C++):    ", " ".join(f"{x:.5f}" for x in ours))
            print("losses (PyTorch):", " ".join(f"{x:.5f}" for x in losses))
            diff = float(np.max(np.abs(np.asarray(losses) - ours)))
            if not diff <= 1e-3:
                failures.append(f"training losses differ by {diff:.2e} > 1e-3")
            if not losses[-1] < losses[0] - 0.05:
                failures.append("the 10 steps did not lower the loss: the comparison would be vacuous")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("ok: C++ gpt-train matches the PyTorch reference")


if __name__ == "__main__":
    main()
