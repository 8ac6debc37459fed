"""The CLI on a Slurm target reached through an ssh login node (remote_testbed's sshd on
127.0.0.1, slurm_testbed's cluster behind it, MinJobAge 2 s), as the launch form does it:
`orrery run --sweep` is one job array whose tasks' runs are each mirrored and copied back;
`orrery run --sweep --detach` submits the array and leaves, `orrery attach` of each task's run
later follows it and copies it back; `orrery cancel` of a detached run whose job failed and was purged before anyone looked
says the job already ended (its state from the jobcomp file) and the run gets that verdict;
`orrery show` gives each run's job and the state last seen."""
import json
import re
import subprocess
import time

import h5py

from e2e_support import ORRERY, Project, env, main, slow_spec
from slurm_purged_runs import wait_purged
from slurm_testbed import PARTITION, SlurmTestBed


def test():
    with SlurmTestBed(min_job_age=2) as slurm, slurm.login_node() as ssh:
        prj = Project("slurm-via-cli")
        work = ssh.root / "login work"
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "login": ssh.target(0, work_dir=work),
            "cluster": {"type": "slurm", "via": "login", "partition": PARTITION},
            "broken": {"type": "slurm", "via": "login", "partition": PARTITION,
                       "modules": ["no-such-module/1.0"], "extra_sbatch": ["--hold"]}}}))
        e = ssh.env(env())      # no SLURM_CONF here: only the login node's sessions know the cluster

        def cli(*args, timeout=90):
            return subprocess.run([ORRERY, "-p", str(prj.root), *map(str, args)], capture_output=True, text=True,
                                  timeout=timeout, env=e)

        # A detached held job whose script fails once released; nobody follows it while it is purged.
        quick = prj.spec("quick", slow_spec("quick", ranks=1, steps=3, sleep=0.01))
        t0 = time.time()
        p = cli("run", quick, "--target", "broken", "--detach")
        assert p.returncode == 0, (p.stdout, p.stderr)
        words = next(l for l in p.stdout.splitlines() if " submitted: " in l).split()
        broken_run, broken_job = words[1], words[-1]
        slurm.run("scontrol", "release", broken_job)

        # 2-point sweep: one job array, each task's run mirrored and copied back.
        ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-via-sweep", "ranks": 2,
                             "params": {"min_bytes": 8, "max_bytes": 64, "iterations": 3, "warmup": 1}})
        t_sweep = time.time()
        p = cli("run", ar, "--target", "cluster", "--sweep", "max_bytes=64, 256")
        sweep_s = time.time() - t_sweep
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        submitted = [l.split() for l in p.stdout.splitlines() if " submitted: " in l]
        assert len(submitted) == 2, p.stdout
        job = submitted[0][-1].split("_")[0]
        assert [s[-1] for s in submitted] == [f"{job}_0", f"{job}_1"], submitted
        for i, (max_bytes, words) in enumerate(zip((64, 256), submitted)):
            run_id = words[1]
            assert f"slurm job {job}_{i}: COMPLETED" in p.stdout, p.stdout
            local = prj.run_dir(run_id)
            assert json.loads((local / "remote.json").read_text())["copied_back"] is True
            rec = prj.record(run_id)
            assert rec["status"] == "succeeded" and rec["spec"]["params"]["max_bytes"] == max_bytes, rec
            assert "#SBATCH --array=0-1" in (local / "job.sh").read_text()
            assert (work / "runs" / run_id / "run.h5").is_file()       # written on the login node's side
            with h5py.File(local / "run.h5", "r") as f:
                steps = list(f["metrics/rank-1/latency_us"][:]["step"])
                assert steps[-1] == max_bytes, (max_bytes, steps)
            # orrery show: the run's job and Slurm's state last seen, and where the job ran.
            shown = cli("show", run_id)
            assert shown.returncode == 0, (shown.stdout, shown.stderr)
            # The state's source is named when it came after the purge (MinJobAge 2 s here: a busy
            # machine may see the job's end only in the jobcomp file).
            assert re.search(rf"^slurm    job {job}_{i} on cluster: COMPLETED( \[(sacct|jobcomp/filetxt)\])? \(last seen ",
                             shown.stdout, re.M), shown.stdout
            assert f"job dir  {work}/runs/{run_id} (on the login node)" in shown.stdout, shown.stdout
            shown = json.loads(cli("show", run_id, "--json").stdout)["slurm"]
            assert shown["job"] == f"{job}_{i}" and shown["state"] == "COMPLETED", shown

        # A detached sweep, each task's run attached later: followed to its end and copied back.
        p = cli("run", ar, "--target", "cluster", "--sweep", "max_bytes=32, 128", "--detach")
        assert p.returncode == 0, (p.stdout, p.stderr)
        left = [l.split() for l in p.stdout.splitlines() if " submitted: " in l]
        assert len(left) == 2 and left[1][-1].endswith("_1"), p.stdout
        for max_bytes, words in zip((32, 128), left):
            run_id = words[1]
            assert not (prj.run_dir(run_id) / "run.h5").exists()
            p = cli("attach", run_id)
            assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
            assert f"slurm job {words[-1]}: COMPLETED" in p.stdout, p.stdout
            assert json.loads((prj.run_dir(run_id) / "remote.json").read_text())["copied_back"] is True
            assert prj.record(run_id)["status"] == "succeeded"
            with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
                assert list(f["metrics/rank-0/latency_us"][:]["step"])[-1] == max_bytes

        # The broken job has failed and been purged meanwhile: cancel says so instead of failing at scancel.
        wait_purged(slurm, [broken_job])
        assert prj.record(broken_run)["status"] == "starting"
        p = cli("cancel", broken_run)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert (f"slurm job {broken_job} already ended: FAILED (exit code 127:0) [jobcomp/filetxt]; nothing to cancel"
                in p.stdout), (p.stdout, p.stderr)
        assert "scancel" not in p.stdout and f"run {broken_run} is already failed" in p.stdout, p.stdout
        for rec in (prj.record(broken_run), json.loads((work / "runs" / broken_run / "run.json").read_text())):
            assert rec["status"] == "failed" and "module: command not found" in rec["reason"], rec
        p = cli("show", broken_run)
        assert f"slurm    job {broken_job} on broken: FAILED (exit code 127:0) [jobcomp/filetxt]" in p.stdout, p.stdout
        print(f"sweep of 2 through the login node: {sweep_s:.1f} s; whole test {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main(test)
