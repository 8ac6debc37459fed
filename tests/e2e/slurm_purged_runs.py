"""What `orrery attach` says of Slurm runs whose jobs slurmctld has already purged (the bed's
MinJobAge is 2 s), shared by test_slurm_accounting (sacct) and test_slurm_jobcomp (the
jobcomp/filetxt file): one run succeeded and one whose batch script failed before its agent
started, both submitted with --detach and attached only once `scontrol show job` no longer
knows their jobs, and the two tasks of a job array (12_0, 12_1). The first and the tasks read
COMPLETED, the second FAILED with its exit code, its verdict written at attach time with the
script's output as the reason, each naming the source read."""
import json
import time

from e2e_support import Project, slow_spec
from slurm_testbed import OrreryOnSlurm


def submitted(p):
    """(run id, job id) of a --detach submission's output."""
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    line = [l for l in p.stdout.splitlines() if " submitted: " in l][0]
    return line.split()[1], line.split()[-1]


def wait_purged(bed, jobs, timeout=60):
    """Until scontrol answers "Invalid job id" for every job (slurmctld's purge pass after MinJobAge)."""
    deadline = time.time() + timeout
    for job in jobs:
        while True:
            p = bed.run("scontrol", "show", "job", "-o", job, check=False)
            if p.returncode != 0 and "Invalid job id" in p.stderr:
                break
            assert time.time() < deadline, f"slurmctld still knows job {job} after {timeout} s: {p.stdout}"
            time.sleep(0.25)


def check_purged_runs(bed, name, source):
    prj = Project(name)
    on = OrreryOnSlurm(bed, prj, {"cluster": {}, "nomodule": {"modules": ["no-such-module/1.0"]}})
    quick = prj.spec("quick", slow_spec("quick", ranks=1, steps=3, sleep=0.01))
    ok_run, ok_job = submitted(on.cli("run", quick, "--target", "cluster", "--detach"))
    bad_run, bad_job = submitted(on.cli("run", quick, "--target", "nomodule", "--detach"))
    # A job array: its tasks are 12_0 and 12_1 to Orrery; the jobcomp file gives each its own JobId
    # (the last task the array's) and names the array in ArrayJobId/ArrayTaskId.
    ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-sweep", "ranks": 1,
                         "params": {"min_bytes": 8, "max_bytes": 64, "iterations": 2, "warmup": 1}})
    p = on.cli("run", ar, "--target", "cluster", "--sweep", "max_bytes=64, 128", "--detach")
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    tasks = [(l.split()[1], l.split()[-1]) for l in p.stdout.splitlines() if " submitted: " in l]
    assert len(tasks) == 2 and tasks[1][1].endswith("_1"), p.stdout
    t0 = time.time()
    wait_purged(bed, [ok_job, bad_job] + [job for _, job in tasks])
    print(f"jobs purged by slurmctld {time.time() - t0:.1f} s after submission")
    assert prj.record(bad_run)["status"] == "starting"        # nobody has read Slurm's verdict yet

    t0 = time.time()
    p = on.cli("attach", ok_run)
    print(f"orrery attach of the purged COMPLETED job: {time.time() - t0:.2f} s")
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    assert f"slurm job {ok_job}: COMPLETED [{source}]" in p.stdout, p.stdout
    assert prj.record(ok_run)["status"] == "succeeded"
    slurm = json.loads((prj.run_dir(ok_run) / "slurm.json").read_text())
    assert slurm["state"] == "COMPLETED" and slurm["source"] == source and slurm["exit_code"] == "0:0", slurm

    for run_id, job in tasks:
        p = on.cli("attach", run_id)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert f"slurm job {job}: COMPLETED [{source}]" in p.stdout, p.stdout

    p = on.cli("attach", bad_run)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert f"slurm job {bad_job}: FAILED (exit code 127:0) [{source}]" in p.stdout, p.stdout
    rec = prj.record(bad_run)
    assert rec["status"] == "failed", rec
    assert f"Slurm job {bad_job} ended FAILED (exit code 127:0) [{source}] before orrery-agent started" in rec["reason"], rec
    assert "module: command not found" in rec["reason"], rec                   # the failing job's reason
    assert "reason:" in p.stdout and "module: command not found" in p.stdout, p.stdout
    return on, prj, bad_run, bad_job
