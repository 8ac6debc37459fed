"""Cancelling Slurm runs with `orrery cancel` (scancel underneath) on the real single-node
Slurm of slurm_testbed: a held job (PENDING, reason JobHeldUser, shown by the follower) is
cancelled before its agent ever starts and the run reads "cancelled" with Slurm's word for it;
a running job is cancelled mid-run: its agent gets SIGTERM inside the allocation, stops the
ranks and records "cancelled" with the data up to then in run.h5; nothing is left running."""
import json

import h5py

from e2e_support import Project, main, slow_spec, wait_no_processes, describe_pids
from slurm_testbed import OrreryOnSlurm, SlurmTestBed


def test():
    with SlurmTestBed() as bed:
        prj = Project("slurm-cancel")
        on = OrreryOnSlurm(bed, prj, {"cluster": {}, "held": {"extra_sbatch": ["--hold"]}})
        slow = prj.spec("slow", slow_spec("slow", ranks=2, steps=2000, sleep=0.02))

        # --- pending: held in the queue, then cancelled.
        run = on.follow("run", slow, "--target", "held")
        try:
            run_id = run.run_id()
            job = run.wait_line("submitted: ").split()[-1]
            run.wait_line(f"slurm job {job}: PENDING (JobHeldUser)")
            p = on.cli("cancel", run_id)
            assert p.returncode == 0, (p.stdout, p.stderr)
            assert f"scancel {job} done" in p.stdout and "cancelled" in p.stdout, p.stdout
            code = run.finish(30)
        finally:
            run.finish(5)
        assert code == 3, (code, run.text())                      # the follower's verdict: cancelled
        rec = prj.record(run_id)
        assert rec["status"] == "cancelled", rec
        assert f"Slurm job {job} was cancelled before orrery-agent started" in rec["reason"], rec
        assert rec["agent"]["pid"] == 0 and not (prj.run_dir(run_id) / "run.h5").exists()
        assert bed.job_state(job) == "CANCELLED"

        # --- running: cancelled mid-run.
        run = on.follow("run", slow, "--target", "cluster")
        try:
            run_id = run.run_id()
            job = run.wait_line("submitted: ").split()[-1]
            run.wait_line(f"slurm job {job}: RUNNING on orrery-node")
            prj.wait_for(run_id, lambda r: r["status"] == "running" and r["last_metrics"].get("loss", {}).get("step", 0) >= 20,
                         timeout=30, what="metrics of the running job")
            p = on.cli("cancel", run_id)
            assert p.returncode == 0, (p.stdout, p.stderr)
            assert f"scancel {job} done" in p.stdout, p.stdout
            code = run.finish(30)
        finally:
            run.finish(5)
        assert code == 3, (code, run.text())
        rec = prj.record(run_id)
        assert rec["status"] == "cancelled" and rec["agent"]["pid"] > 0, rec
        assert "Terminated" in rec["reason"], rec                 # the agent's own verdict: SIGTERM from scancel
        assert json.loads((prj.run_dir(run_id) / "slurm.json").read_text())["state"] == "CANCELLED"
        with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
            steps = f["metrics/rank-0/loss"][:]["step"]
            assert 20 <= len(steps) < 2000, len(steps)             # what ran before the cancel, not more
        left = wait_no_processes(prj.run_dir(run_id), 10)
        assert not left, describe_pids(left)


if __name__ == "__main__":
    main(test)
