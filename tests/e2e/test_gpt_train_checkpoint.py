"""gpt-train end to end, universal checkpoints: a run on 2 ranks saves at steps 6 and 12;
resuming from step 6 on 2 ranks continues bit-identically, on 1 rank within float
reduction order; a model of another shape is refused naming the mismatch. The checkpoint
is read with h5py alone (consolidated tensors, fragments, state, tokenizer), and the
repo's PyTorch loader (plugins/gpt-train/python/gpt_reference.py) gets from it the
validation loss the worker logged at that step."""
import sys

import h5py
import numpy as np
import torch

from e2e_support import SOURCE, Project, main
from gpt_train_support import TINY, finish, max_difference, series, start, write_corpus

sys.path.insert(0, str(SOURCE / "plugins" / "gpt-train" / "python"))
import gpt_reference  # noqa: E402

MASK = (1 << 64) - 1


def mix64(x):
    """lib/gpt/rng.hpp's mix64 (SplitMix64's finalizer)."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def read_tokens(path):
    raw = path.read_bytes()
    assert raw[:8] == b"ORRYTOKS", f"{path}: bad magic"
    count = int(np.frombuffer(raw[16:24], dtype="<u8")[0])
    return np.frombuffer(raw[24:], dtype="<u4", count=count).astype(np.int64)


def reference_val_loss(prj, ckpt, windows):
    """The worker's validation windows (worker/data_loader.cpp: fill_fixed) through the reference model."""
    model, _ = gpt_reference.load_checkpoint(ckpt)
    T = model.wpe.weight.shape[0]
    (val_file,) = (prj.root / "cache" / "gpt-train").glob("*.val.tok")
    val = read_tokens(val_file)
    positions = len(val) - T - 1
    starts = [mix64(0x76616C6964 ^ mix64(g)) % positions for g in range(windows)]
    rows = torch.tensor(np.stack([val[s:s + T + 1] for s in starts]))
    with torch.no_grad():
        _, loss = model(rows[:, :-1], rows[:, 1:])
    return loss.item()


def test():
    prj = Project("gptckpt")
    params = dict(TINY, corpus=write_corpus(prj.root), steps=12, val_interval=6, checkpoint_interval=6)
    a = start(prj, "a", params, 2)
    finish(prj, a)
    ckpts = prj.run_dir(a) / "checkpoints"
    assert sorted(p.name for p in ckpts.iterdir()) == ["step-0000006.h5", "step-0000012.h5"], list(ckpts.iterdir())

    six = str(ckpts / "step-0000006.h5")
    b = start(prj, "b", dict(params, resume=six), 2)
    c = start(prj, "c", dict(params, resume=six), 1)
    d = start(prj, "d", dict(params, resume=six, channels=64), 1)

    # h5py alone, while those run.
    with h5py.File(ckpts / "step-0000012.h5", "r") as f:
        assert f.attrs["format"] == "orrery-gpt-train-checkpoint" and f.attrs["version"] == 1
        assert f.attrs["step"] == 12 and f.attrs["ranks"] == 2 and f.attrs["adam_t"] == 12
        assert f.attrs["loader_position"] == 12 * TINY["batch_size"]
        assert dict(f["model"].attrs) == {"vocab": 256, "context": 32, "layers": 2, "heads": 2, "channels": 32}
        names = set(f["params"])
        assert len(names) == 2 + 12 * 2 + 2 and "h.1.mlp.c_fc.weight" in names, names
        assert f["params/h.1.mlp.c_fc.weight"].shape == (128, 32) and f["params/wte.weight"].shape == (256, 32)
        for group in ("adam_m", "adam_v"):
            assert set(f[group]) == names
            assert np.any(f[group]["wte.weight"][()] != 0)
        frag = f["params/wte.weight"].attrs["fragments"]
        assert frag.shape == (2, 3) and list(frag[:, 2]) == [256 * 32] * 2, frag
        assert len(f["tokenizer/sentencepiece_model"][()]) > 1000
        assert '"steps": 12' in f.attrs["config_json"]

    ours = series(prj, a, "val_loss")[11]
    theirs = reference_val_loss(prj, ckpts / "step-0000012.h5", TINY["batch_size"] * TINY["val_batches"])
    print(f"validation loss at step 12: worker {ours:.6f}, PyTorch reference from the checkpoint {theirs:.6f}")
    assert abs(ours - theirs) < 1e-4 * abs(ours), (ours, theirs)

    finish(prj, b)
    finish(prj, c)
    rec = finish(prj, d, expect="failed")
    tail = "\n".join(rec["failure"]["log_tail"])
    assert "has channels 32, this run 64" in tail, tail

    full = series(prj, a, "train_loss")
    resumed_same, resumed_one = series(prj, b, "train_loss"), series(prj, c, "train_loss")
    assert sorted(resumed_same) == list(range(6, 12)), resumed_same
    assert all(resumed_same[s] == full[s] for s in range(6, 12)), (full, resumed_same)
    diff = max_difference(full, resumed_one, range(6, 12))
    print(f"resumed on 2 ranks: bit-identical; on 1 rank: max difference {diff:.2e}")
    assert diff < 1e-3, diff


if __name__ == "__main__":
    main(test)
