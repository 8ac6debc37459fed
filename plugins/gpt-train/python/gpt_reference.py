"""PyTorch reference of gpt-train's model, and a loader for its HDF5 checkpoints.

The model is written out here (not taken from a library) with the same parameter names and
shapes as the C++ worker (plugins/gpt-train/lib/gpt/model.hpp), so a checkpoint's /params
datasets load with load_state_dict and no renaming. Used by the golden test and the
benchmark; as a script it prints a checkpoint's next-token logits for given token ids:

    python3 gpt_reference.py runs/<id>/checkpoints/step-0000100.h5 --tokens 5 17 42
"""
import argparse
import math

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, channels, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(channels, eps=1e-5)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(channels, 3 * channels)
        self.attn.c_proj = nn.Linear(channels, channels)
        self.ln_2 = nn.LayerNorm(channels, eps=1e-5)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(channels, 4 * channels)
        self.mlp.c_proj = nn.Linear(4 * channels, channels)

    def attention(self, x):
        B, T, C = x.shape
        q, k, v = self.attn.c_attn(x).split(C, dim=2)
        hs = C // self.heads
        q, k, v = (z.view(B, T, self.heads, hs).transpose(1, 2) for z in (q, k, v))  # (B,NH,T,hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (B,NH,T,T)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.attn.c_proj(y)

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocab, context, layers, heads, channels):
        super().__init__()
        self.wte = nn.Embedding(vocab, channels)
        self.wpe = nn.Embedding(context, channels)
        self.h = nn.ModuleList(Block(channels, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(channels, eps=1e-5)

    def forward(self, tokens, targets=None):
        """tokens (B,T) -> logits (B,T,V), and the mean cross-entropy when targets are given."""
        T = tokens.shape[1]
        x = self.wte(tokens) + self.wpe(torch.arange(T, device=tokens.device))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T  # tied head
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def model_config(f):
    m = f["model"].attrs
    return {k: int(m[k]) for k in ("vocab", "context", "layers", "heads", "channels")}


def load_checkpoint(path):
    """The model of a gpt-train checkpoint with its parameters, and the file's root attributes."""
    with h5py.File(path, "r") as f:
        model = Gpt(**model_config(f))
        state = {name: torch.from_numpy(np.asarray(ds[()], dtype=np.float32)) for name, ds in f["params"].items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"{path}: tensors missing {missing}, unexpected {unexpected}")
        return model, dict(f.attrs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--tokens", type=int, nargs="+", required=True)
    args = ap.parse_args()
    model, attrs = load_checkpoint(args.checkpoint)
    with torch.no_grad():
        logits, _ = model(torch.tensor([args.tokens]))
    print(f"step {attrs['step']}: logits at the last position (first 8): {logits[0, -1, :8].tolist()}")


if __name__ == "__main__":
    main()
