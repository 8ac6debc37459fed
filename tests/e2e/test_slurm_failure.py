"""Slurm runs that fail, each with the reason a user needs (slurm_testbed): sbatch refusing
the job (an unknown partition) fails at once with sbatch's message; a job whose batch script
fails before the agent starts (a module that cannot be loaded: there is no `module` here)
reads "failed" with Slurm's state, reason and exit code and the script's last output; a rank
that fails inside a running job is named by the agent, and Slurm records the job FAILED."""
import json

from e2e_support import Project, main, slow_spec
from slurm_testbed import OrreryOnSlurm, SlurmTestBed


def test():
    with SlurmTestBed() as bed:
        prj = Project("slurm-failure")
        on = OrreryOnSlurm(bed, prj, {"cluster": {},
                                      "nowhere": {"partition": "nosuch"},
                                      "nomodule": {"modules": ["no-such-module/1.0"]}})
        quick = prj.spec("quick", slow_spec("quick", ranks=1, steps=3, sleep=0.01))

        # --- refused by sbatch.
        p = on.cli("run", quick, "--target", "nowhere")
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert "sbatch refused the job" in p.stderr and "invalid partition" in p.stderr.lower(), p.stderr
        failed = [d for d in (prj.root / "runs").iterdir()]
        assert len(failed) == 1
        rec = json.loads((failed[0] / "run.json").read_text())
        assert rec["status"] == "failed" and "invalid partition" in rec["reason"].lower(), rec

        # --- the batch script fails before the agent starts.
        p = on.cli("run", quick, "--target", "nomodule")
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        run_id = [l.split()[1] for l in p.stdout.splitlines() if " submitted: " in l][0]
        job = [l.split()[-1] for l in p.stdout.splitlines() if " submitted: " in l][0]
        assert f"slurm job {job}: FAILED (NonZeroExitCode, exit code 127:0)" in p.stdout, p.stdout
        rec = prj.record(run_id)
        assert rec["status"] == "failed", rec
        assert f"Slurm job {job} ended FAILED (NonZeroExitCode, exit code 127:0) before orrery-agent started" in rec["reason"], rec
        assert "module: command not found" in rec["reason"], rec
        assert "reason:" in p.stdout and "module: command not found" in p.stdout, p.stdout

        # --- a rank fails inside the job.
        failing = prj.spec("failing", slow_spec("failing", ranks=2, steps=50, sleep=0.02, extra=("--fail-rank", "1", "--fail-step", "3")))
        p = on.cli("run", failing, "--target", "cluster")
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        run_id = [l.split()[1] for l in p.stdout.splitlines() if " submitted: " in l][0]
        job = [l.split()[-1] for l in p.stdout.splitlines() if " submitted: " in l][0]
        rec = prj.record(run_id)
        assert rec["status"] == "failed" and rec["failure"]["rank"] == 1 and rec["failure"]["exit_code"] == 7, rec
        assert "rank 1 ended with exit code 7" in rec["reason"], rec
        assert any("failing on purpose" in l for l in rec["failure"]["log_tail"]), rec["failure"]
        assert f"slurm job {job}: FAILED (NonZeroExitCode, exit code 1:0)" in p.stdout, p.stdout


if __name__ == "__main__":
    main(test)
