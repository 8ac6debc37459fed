"""A Slurm cluster without accounting (the default slurm_testbed, JobCompType=jobcomp/filetxt,
MinJobAge 2 s): runs whose jobs slurmctld has purged get their final state from the jobcomp
file through `orrery attach` (slurm_purged_runs), here and through an ssh login node (the file
read there: a held job of a via target, its follower killed while it was pending, released,
failed, purged, then attached: both copies of run.json get the verdict; attached again once
copied back, it needs no connection). With the file
emptied, a purged job is reported as unknown, saying that it was purged, that there is no
accounting and that the file does not hold it."""
import json
import subprocess
from types import SimpleNamespace

from e2e_support import ORRERY, Project, env, main, slow_spec
from slurm_purged_runs import check_purged_runs, wait_purged
from slurm_testbed import PARTITION, Follower, SlurmTestBed


def test():
    with SlurmTestBed(min_job_age=2) as slurm, slurm.login_node() as ssh:
        # --- through the login node: submitted and left while held, its verdict read after the purge.
        prj = Project("slurm-jobcomp-via")
        work = ssh.root / "login work"
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "login": ssh.target(0, work_dir=work),
            "cluster": {"type": "slurm", "via": "login", "partition": PARTITION,
                        "modules": ["no-such-module/1.0"], "extra_sbatch": ["--hold"]}}}))
        e = ssh.env(env())      # no SLURM_CONF here: only the login node's sessions know the cluster
        quick = prj.spec("quick", slow_spec("quick", ranks=1, steps=3, sleep=0.01))
        run = Follower(SimpleNamespace(project=prj, env=e), ("run", quick, "--target", "cluster"))
        try:
            via_run = run.run_id()
            via_job = run.wait_line(" submitted: ").split()[-1]
            run.wait_line(f"slurm job {via_job}: PENDING (JobHeldUser)")
        finally:
            run.proc.kill()     # the terminal closed: nobody follows the job any more
            run.finish(5)
        slurm.run("scontrol", "release", via_job)

        # --- here (meanwhile the via job fails and is purged as well).
        on, local_prj, bad_run, bad_job = check_purged_runs(slurm, "slurm-jobcomp", "jobcomp/filetxt")

        wait_purged(slurm, [via_job])
        assert prj.record(via_run)["status"] == "starting"
        p = subprocess.run([ORRERY, "-p", str(prj.root), "attach", via_run], capture_output=True, text=True,
                           timeout=90, env=e)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert f"slurm job {via_job}: FAILED (exit code 127:0) [jobcomp/filetxt]" in p.stdout, (p.stdout, p.stderr)
        for rec in (prj.record(via_run), json.loads((work / "runs" / via_run / "run.json").read_text())):
            assert rec["status"] == "failed", rec
            assert f"Slurm job {via_job} ended FAILED (exit code 127:0) [jobcomp/filetxt]" in rec["reason"], rec
            assert "module: command not found" in rec["reason"], rec
        # Copied back, the run is whole here: attached again with the login node unreachable, it needs no connection.
        assert json.loads((prj.run_dir(via_run) / "remote.json").read_text())["copied_back"] is True
        settings = json.loads((prj.root / "orrery.json").read_text())
        settings["targets"]["login"]["port"] = 1
        (prj.root / "orrery.json").write_text(json.dumps(settings))
        p = subprocess.run([ORRERY, "-p", str(prj.root), "attach", via_run], capture_output=True, text=True,
                           timeout=30, env=e)
        assert p.returncode == 1 and "failed" in p.stdout and "module: command not found" in p.stdout, (p.stdout, p.stderr)

        # --- Slurm has forgotten the job everywhere: said as such; the verdict read earlier stays.
        slurm.jobcomp.write_text("")
        p = on.cli("attach", bad_run)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert (f"slurm job {bad_job}: no longer known to Slurm (purged by slurmctld after MinJobAge; "
                f"no accounting (sacct); not in {slurm.jobcomp})") in p.stdout, p.stdout
        assert local_prj.record(bad_run)["status"] == "failed"


if __name__ == "__main__":
    main(test)
