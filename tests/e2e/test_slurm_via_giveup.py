"""The CLI's via-sweep follower gives a task up when its run cannot be followed (remote_testbed's
sshd on 127.0.0.1 as the login node of slurm_testbed's cluster). `orrery run --sweep` of 2 points
to a target whose sbatch lines hold the job array; while both tasks are held, task 1's run folder
on the login node is replaced by a file (its agent cannot start, its run.json cannot be read);
then the array is released. Task 0 runs, is mirrored and copied back; task 1's job ends, and
once it has been out of Slurm's queue for the follower's grace time (15 s) with no verdict to
read, the follower says so, marks that run failed with the job, Slurm's state and the reason,
and ends with exit status 1 (a run failed) instead of waiting forever."""
import json
import re
import shutil
import time

import h5py

from e2e_support import Project, main
from slurm_testbed import PARTITION, OrreryOnSlurm, SlurmTestBed


def test():
    with SlurmTestBed() as slurm, slurm.login_node() as ssh:
        prj = Project("slurm-via-giveup")
        on = OrreryOnSlurm(slurm, prj, {})
        work = ssh.root / "login-work"
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "login": ssh.target(0, work_dir=work),
            "held": {"type": "slurm", "via": "login", "partition": PARTITION, "extra_sbatch": ["--hold"]}}}))
        on.env = ssh.env(on.env)
        ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-giveup", "ranks": 2,
                             "params": {"min_bytes": 8, "max_bytes": 64, "iterations": 3, "warmup": 1}})
        follower = on.follow("run", ar, "--target", "held", "--sweep", "max_bytes=64, 256")
        try:
            job = follower.wait_line("as slurm job ", 60).split("as slurm job ")[1].split()[0].split("_")[0]
            task1 = follower.wait_line(f"as slurm job {job}_1").split()
            task0 = follower.wait_line(f"as slurm job {job}_0").split()
            run0, run1 = task0[1], task1[1]
            follower.wait_line(f"slurm job {job}_1: PENDING (JobHeldUser)")
            broken = work / "runs" / run1
            assert broken.is_dir(), broken
            shutil.rmtree(broken)
            broken.write_text("not a run folder\n")
            released = time.time()
            slurm.run("scontrol", "release", job)
            code = follower.finish(120)
            took = time.time() - released
        finally:
            follower.finish(5)
        out = follower.text()
        assert code == 1, (code, out)
        # The other task went on: mirrored, copied back, its run whole.
        assert f"slurm job {job}_0: COMPLETED" in out, out
        rec = prj.record(run0)
        assert rec["status"] == "succeeded", rec
        assert json.loads((prj.run_dir(run0) / "remote.json").read_text())["copied_back"] is True
        with h5py.File(prj.run_dir(run0) / "run.h5", "r") as f:
            assert list(f["metrics/rank-0/latency_us"][:]["step"])[-1] == 64
        # The broken task: given up with the job, Slurm's word and the reason, once, not retried forever.
        m = re.search(rf"orrery: gave up following run {run1}: slurm job {job}_1 left the queue \(([^\n]*)\) but run "
                      rf"{run1}'s verdict could not be read within 15 s: its run.json on [^\n]*:{re.escape(str(broken))} "
                      rf"cannot be read", out)
        assert m, out
        assert out.count("gave up following run") == 1, out
        rec = prj.record(run1)
        assert rec["status"] == "failed", rec
        assert rec["reason"].startswith(f"slurm job {job}_1 left the queue (") and f"orrery attach {run1}" in rec["reason"], rec
        assert json.loads((prj.run_dir(run1) / "slurm.json").read_text())["state"] in ("FAILED", "COMPLETED"), m.group(1)
        assert 15 <= took < 60, took
        print(f"task 1 left the queue as {m.group(1)}; release -> follower's end: {took:.1f} s")


if __name__ == "__main__":
    main(test)
