"""gpt-train end to end, a crash during a checkpoint save: the worker (one rank, started
directly) saves after every step a model whose checkpoint takes longer to write than a step
takes to compute; it is killed with SIGKILL while a save is in progress (its temporary file
exists). Every checkpoint under its final name must still be complete (h5py reads every
tensor), and the run resumes from the newest one."""
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from e2e_support import BIN, env, main
from gpt_train_support import write_corpus

WORKER = str(BIN / "orrery-gpt-train")


def args(tmp, corpus, *extra):
    # ~3.2M parameters but a batch of one 8-token sequence: saving (~40 MB) dominates a step.
    return [WORKER, f"--corpus={corpus}", f"--cache_dir={tmp / 'cache'}", f"--checkpoint_dir={tmp / 'ckpt'}",
            "--vocab=256", "--context=8", "--layers=4", "--heads=4", "--channels=256", "--batch_size=1",
            "--steps=100000", "--checkpoint_interval=1", "--val_interval=100000", "--sample_tokens=0", *extra]


def kill_during_save(tmp, command, victim=lambda p: p.pid, timeout=60):
    """Starts `command` in tmp; once its first checkpoint is complete and victim(p) names a pid
    (None: not there yet), SIGKILLs that pid as soon as a save's .tmp exists. True when a save
    was caught in progress."""
    p = subprocess.Popen(command, cwd=tmp, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + timeout
        pid = None
        while time.time() < deadline and (pid is None or not list((tmp / "ckpt").glob("step-*.h5"))):
            assert p.poll() is None, p.stderr.read().decode()
            pid = pid or victim(p)
            time.sleep(0.01)
        while time.time() < deadline:
            if list((tmp / "ckpt").glob("step-*.h5.tmp")):
                os.kill(pid, signal.SIGKILL)
                p.wait(timeout=60)
                return True
            time.sleep(0.0005)
        return False
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test():
    with tempfile.TemporaryDirectory(prefix="orrery-gpt-crash-") as t:
        tmp = Path(t)
        corpus = write_corpus(tmp)
        assert kill_during_save(tmp, args(tmp, corpus)), "never caught a save in progress"
        left = list((tmp / "ckpt").glob("*.tmp"))
        done = sorted((tmp / "ckpt").glob("step-*.h5"))
        print(f"killed during a save: {[p.name for p in left]} left behind, {len(done)} complete checkpoints")
        assert left and done
        for path in done:
            with h5py.File(path, "r") as f:
                for group in ("params", "adam_m", "adam_v"):
                    assert len(f[group]) == 2 + 12 * 4 + 2, (path, group)
                    for ds in f[group].values():
                        assert np.isfinite(ds[()]).all(), (path, ds.name)
        newest = done[-1]
        step = int(newest.stem.split("-")[1])
        r = subprocess.run(args(tmp, corpus, f"--resume={newest}", f"--stop_at_step={step + 1}"), cwd=tmp, env=env(),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert f"resuming at step {step}" in r.stdout, r.stdout
        assert (tmp / "ckpt" / f"step-{step + 1:07d}.h5").exists()


if __name__ == "__main__":
    main(test)
