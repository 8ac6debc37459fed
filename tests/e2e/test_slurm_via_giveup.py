"""The CLI's via-sweep follower gives a task up when its run cannot be followed (remote_testbed's
sshd on 127.0.0.1 as the login node of slurm_testbed's cluster). `orrery run --sweep` of 2 points
to a target whose sbatch lines hold the job array; while both tasks are held, task 1's run folder
on the login node is replaced by a file (its agent cannot start, its run.json cannot be read);
then the array is released. Task 0 runs, is mirrored and copied back; task 1's job ends, and
once it has been out of Slurm's queue for the follower's grace time (15 s) with no verdict to
read, the follower says so, marks that run failed with the job, Slurm's state and the reason,
and ends with exit status 1 (a run failed) instead of waiting forever. Meanwhile a second sweep
runs on a login node whose work folder holds ':' (ssh cannot forward such a socket path): no
task's mirror can start while its run is live, the attempts are counted and spaced out (1, 2, 4,
8 s), and once the run is final its mirror needs no forward: both copied back, exit status 0."""
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
        colon_work = ssh.root / "login:work"
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "login": ssh.target(0, work_dir=work),
            "colonlogin": ssh.target(0, work_dir=colon_work),
            "held": {"type": "slurm", "via": "login", "partition": PARTITION, "extra_sbatch": ["--hold"]},
            "colon": {"type": "slurm", "via": "colonlogin", "partition": PARTITION}}}))
        on.env = ssh.env(on.env)
        ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-giveup", "ranks": 2,
                             "params": {"min_bytes": 8, "max_bytes": 64, "iterations": 3, "warmup": 1}})
        ar1 = prj.spec("ar1", {"kind": "allreduce-bench", "name": "ar-colon", "ranks": 1,
                               "params": {"min_bytes": 2097152, "max_bytes": 4194304, "large_iterations": 12000,
                                          "warmup": 1}})   # a few seconds live
        follower = on.follow("run", ar, "--target", "held", "--sweep", "max_bytes=64, 256")
        # Meanwhile (its own ssh master: another runtime folder), a sweep whose mirrors cannot start
        # while the runs are live: ssh cannot forward a socket whose path holds ':', the folder does.
        colon_env = dict(on.env, XDG_RUNTIME_DIR=str(ssh.root / "runtime-colon"))
        (ssh.root / "runtime-colon").mkdir(mode=0o700)
        colon = OrreryOnSlurm.__new__(OrreryOnSlurm)
        colon.bed, colon.project, colon.env = slurm, prj, colon_env
        unmirrored = colon.follow("run", ar1, "--target", "colon", "--sweep", "large_iterations=12000, 10000")
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
            colon_code = unmirrored.finish(120)
        finally:
            follower.finish(5)
            unmirrored.finish(5)
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

        # No mirror could start while the runs were live: the attempts were counted and spaced out
        # (1, 2, 4, 8 s), and once a run was final its mirror needed no forward: copied back, succeeded.
        out = unmirrored.text()
        assert colon_code == 0, (colon_code, out)
        tasks = [l.split() for l in out.splitlines() if " submitted: " in l]
        assert len(tasks) == 2, out
        for words in tasks:
            run = words[1]
            attempts = [int(a) for a in re.findall(rf"cannot follow run {run} on the login node yet: cannot forward a socket "
                                                   rf"whose path holds ':' [^\n]* \(attempt (\d+), retrying\)", out)]
            assert attempts == list(range(1, len(attempts) + 1)) and 1 <= len(attempts) <= 8, (attempts, out)
            assert "gave up" not in out, out
            assert prj.record(run)["status"] == "succeeded"
            assert json.loads((prj.run_dir(run) / "remote.json").read_text())["copied_back"] is True
            print(f"run {run}: {len(attempts)} mirror attempts while live, then copied back")

if __name__ == "__main__":
    main(test)
