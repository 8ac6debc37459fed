"""Helpers for the gpt-serve end-to-end tests: a tiny gpt-train checkpoint (trained through
the real CLI with gpt_train_support's sizes), gpt-serve runs, and per-request series read
back with h5py from every rank."""
import h5py

from e2e_support import Project
from gpt_train_support import TINY, finish, start, write_corpus

# A short workload that fits TINY's context of 32: prompt + output - 1 <= 23.
WORKLOAD = {"rate": 6.0, "duration_s": 3.0, "prompt_min": 4, "prompt_max": 12, "output_min": 4, "output_max": 12,
            "batch_limit": 4, "kv_blocks": 24, "block_size": 4, "val_every": 10}


def train_checkpoint(prj: Project, steps=20):
    """A checkpoint of TINY trained for steps on 2 ranks, and the corpus file it was trained on."""
    corpus = write_corpus(prj.root)
    run = start(prj, "train", dict(TINY, corpus=corpus, steps=steps, val_interval=steps), 2)
    finish(prj, run)
    (ckpt,) = (prj.run_dir(run) / "checkpoints").glob("step-*.h5")
    return str(ckpt), corpus


def start_serve(prj: Project, name, params, ranks=2):
    spec = prj.spec(name, {"kind": "gpt-serve", "name": name, "ranks": ranks, "params": params})
    return prj.start_detached(spec)


def per_request(prj: Project, run_id, name, ranks=2):
    """{request id: value} of a per-request series, merged over the ranks (each request is
    logged by the rank that finished it, exactly once)."""
    out = {}
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        for rank in range(ranks):
            key = f"metrics/rank-{rank}/{name}"
            if key not in f:
                continue
            for step, value in zip(f[key][:]["step"], f[key][:]["value"]):
                assert int(step) not in out, f"{name}: request {step} logged twice"
                out[int(step)] = float(value)
    return out


def final(prj: Project, run_id, name):
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        return float(f[f"metrics/rank-0/{name}"][:]["value"][-1])
