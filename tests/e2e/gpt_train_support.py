"""Helpers for the gpt-train end-to-end tests: a small corpus (a few books of the KJV, as
Debian's bible program prints them), the tiny test model's parameters, runs through the
real CLI, and a metric series read back with h5py."""
import subprocess

import h5py
import numpy as np

from e2e_support import Project

# Tiny: every run of the tests trains in a second or two on a loaded 2-core machine.
TINY = {"preset": "test", "vocab": 256, "context": 32, "layers": 2, "heads": 2, "channels": 32,
        "batch_size": 8, "val_batches": 1, "sample_tokens": 8, "bucket_mb": 0.01,
        "lr": 0.01, "warmup_steps": 2}


def write_corpus(folder, books="gen1:1-gen12:20"):
    """A UTF-8 text of a few chapters, written into folder (no shell: the range is one argument)."""
    text = subprocess.run(["/usr/bin/bible", "-l100000", books], capture_output=True, check=True, text=True).stdout
    assert len(text) > 20000, "bible printed too little text"
    path = folder / "corpus.txt"
    path.write_text(text)
    return str(path)


def start(prj: Project, name, params, ranks):
    spec = prj.spec(name, {"kind": "gpt-train", "name": name, "ranks": ranks, "params": params})
    return prj.start_detached(spec)


def finish(prj: Project, run_id, expect="succeeded", timeout=120):
    rec = prj.wait_final(run_id, timeout)
    assert rec["status"] == expect, f"{run_id}: {rec['status']} ({rec.get('reason')}), expected {expect}\n{prj.logs(run_id)}"
    return rec


def series(prj: Project, run_id, name, rank=0):
    """{step: value} of one metric series."""
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        data = f[f"metrics/rank-{rank}/{name}"][:]
    return {int(s): float(v) for s, v in zip(data["step"], data["value"])}


def max_difference(a: dict, b: dict, steps):
    return float(np.max([abs(a[s] - b[s]) for s in steps]))
