"""gpt-train end to end, a rank killed during a ZeRO-1 sharded checkpoint save: 2 ranks
with zero_stage=1 save after every step a model whose checkpoint takes longer to write than
a step to compute (rank 0 the head, then every rank its moment slice into the same
temporary file at once, through parallel HDF5); rank 1 is killed with SIGKILL while a temporary file exists, and the job
ends. Every checkpoint under its final name must be complete, both ranks' slices of every
moment tensor written (non-zero second moments in every fragment), and it resumes on one
rank without sharding."""
import subprocess
import tempfile
from pathlib import Path

import h5py
import numpy as np

from e2e_support import env, main
from gpt_train_support import write_corpus
from test_gpt_train_crash_save import args, kill_during_save


def rank_pid(launcher_pid, rank):
    """The pid of the MPI process of the given rank among mpirun's children (None if not yet there)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == launcher_pid and f"OMPI_COMM_WORLD_RANK={rank}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                return int(entry.name)
        except (OSError, IndexError, ValueError):
            continue
    return None


def test():
    with tempfile.TemporaryDirectory(prefix="orrery-gpt-zero-crash-") as t:
        tmp = Path(t)
        corpus = write_corpus(tmp)
        command = ["mpirun", "-np", "2", *args(tmp, corpus, "--zero_stage=1", "--batch_size=2")]
        assert kill_during_save(tmp, command, victim=lambda p: rank_pid(p.pid, 1), timeout=90), \
            "never caught a save in progress"
        left = list((tmp / "ckpt").glob("*.tmp"))
        done = sorted((tmp / "ckpt").glob("step-*.h5"))
        print(f"rank 1 killed during a sharded save: {[p.name for p in left]} left behind, "
              f"{len(done)} complete checkpoints")
        assert left and done
        for path in done:
            with h5py.File(path, "r") as f:
                assert f.attrs["zero_stage"] == 1 and f.attrs["ranks"] == 2, path
                owners = set()
                for group in ("params", "adam_m", "adam_v"):
                    assert len(f[group]) == 2 + 12 * 4 + 2, (path, group)
                for name, ds in f["adam_v"].items():
                    v = ds[()].reshape(-1)
                    assert np.isfinite(v).all(), (path, name)
                    for rank, first, count in ds.attrs["fragments"]:
                        owners.add(int(rank))
                        assert np.any(v[first:first + count] != 0), f"{path}: rank {rank}'s part of {name} never written"
                assert owners == {0, 1}, (path, owners)
        newest = done[-1]
        step = int(newest.stem.split("-")[1])
        r = subprocess.run(args(tmp, corpus, f"--resume={newest}", f"--stop_at_step={step + 1}", "--batch_size=2"),
                           cwd=tmp, env=env(), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert f"resuming at step {step}" in r.stdout, r.stdout
        assert (tmp / "ckpt" / f"step-{step + 1:07d}.h5").exists()


if __name__ == "__main__":
    main(test)
