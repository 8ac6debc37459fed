#!/usr/bin/env python3
"""Writes a checkpoint-like HDF5 file with GPT-2 small's parameter shapes (124,439,808
float32 values, tied head; names as in Hugging Face's GPT-2), random normal values,
one tensor at a time (peak memory: the largest tensor, wte, 147 MiB).

    make_gpt2_checkpoint.py OUT.h5 [--seed N] [--scale S]
"""
import argparse

import h5py
import numpy as np


def gpt2_shapes(layers=12, d=768, vocab=50257, ctx=1024):
    yield "model/wte", (vocab, d)
    yield "model/wpe", (ctx, d)
    for i in range(layers):
        p = f"model/h.{i}"
        yield f"{p}/ln_1/weight", (d,)
        yield f"{p}/ln_1/bias", (d,)
        yield f"{p}/attn/c_attn/weight", (d, 3 * d)
        yield f"{p}/attn/c_attn/bias", (3 * d,)
        yield f"{p}/attn/c_proj/weight", (d, d)
        yield f"{p}/attn/c_proj/bias", (d,)
        yield f"{p}/ln_2/weight", (d,)
        yield f"{p}/ln_2/bias", (d,)
        yield f"{p}/mlp/c_fc/weight", (d, 4 * d)
        yield f"{p}/mlp/c_fc/bias", (4 * d,)
        yield f"{p}/mlp/c_proj/weight", (4 * d, d)
        yield f"{p}/mlp/c_proj/bias", (d,)
    yield "model/ln_f/weight", (d,)
    yield "model/ln_f/bias", (d,)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=0.02)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    total = 0
    with h5py.File(args.out, "w") as f:
        for name, shape in gpt2_shapes():
            f.create_dataset(name, data=rng.standard_normal(shape, dtype=np.float32) * np.float32(args.scale))
            total += int(np.prod(shape))
        f.create_dataset("step", data=np.int64(1000))
    print(f"parameters={total}")


if __name__ == "__main__":
    main()
