"""A run on a real single-node Slurm (slurm_testbed): the node is filled so the run waits
(PENDING, reason Resources, shown by the follower and kept in slurm.json), then it runs
(srun --mpi=pmix starts 2 allreduce-bench ranks under orrery-agent inside the allocation)
and succeeds; h5py reads its run.h5; the sbatch script is shown and kept in the run's folder;
`orrery targets test` shows the partition (sinfo) and the queue (squeue)."""
import json
import time

import h5py

from check_run_h5 import check
from e2e_support import Project, main, wait_no_processes
from slurm_testbed import PARTITION, OrreryOnSlurm, SlurmTestBed


def test():
    with SlurmTestBed() as bed:
        prj = Project("slurm-submit")
        on = OrreryOnSlurm(bed, prj, {"cluster": {"time": "00:05:00", "nodes": 1, "tasks_per_node": 4}})
        filler = bed.fill_node()

        p = on.cli("targets", "test", "cluster")
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert "slurm-wlm" in p.stdout or "slurm 22" in p.stdout, p.stdout
        assert f"{PARTITION}" in p.stdout and "orrery-node" in p.stdout, p.stdout     # sinfo
        assert f"{filler} {PARTITION} filler RUNNING" in p.stdout, p.stdout            # squeue

        ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-slurm", "ranks": 2,
                             "params": {"min_bytes": 8, "max_bytes": 4096, "iterations": 5, "warmup": 1}})
        run = on.follow("run", ar, "--target", "cluster", "--show-script")
        try:
            run_id = run.run_id()
            job = run.wait_line("submitted: ").split()[-1]
            run.wait_line(f"slurm job {job}: PENDING (Resources)")
            run_dir = prj.run_dir(run_id)
            slurm = json.loads((run_dir / "slurm.json").read_text())
            assert slurm["job"] == job and slurm["state"] == "PENDING" and slurm["reason"] == "Resources", slurm
            rec = prj.record(run_id)
            assert rec["status"] == "starting" and rec["scheduler"] == "slurm" and rec["target"] == "cluster", rec
            time.sleep(1.5)
            assert prj.record(run_id)["status"] == "starting"             # still queued behind the filler
            bed.run("scancel", filler)                                     # the node frees up
            run.wait_line(f"slurm job {job}: RUNNING on orrery-node", timeout=30)
            code = run.finish(60)
        finally:
            run.finish(5)
        out = run.text()
        assert code == 0, (code, out, prj.logs(run_id))
        assert f"slurm job {job}: COMPLETED" in out, out
        # The script was shown before submission and kept in the run's folder.
        script = (run_dir / "job.sh").read_text()
        assert out.index("#SBATCH --ntasks=2") < out.index(" submitted: "), out
        for line in ("#SBATCH --ntasks=2", "#SBATCH --nodes=1", "#SBATCH --ntasks-per-node=4",
                     f"#SBATCH --partition={PARTITION}", "#SBATCH --time=00:05:00", "--srun"):
            assert line in script, (line, script)
        rec = prj.record(run_id)
        assert rec["status"] == "succeeded", rec
        # The agent ran inside the job and started the ranks with srun.
        agent_log = (run_dir / "logs" / "agent.log").read_text(errors="replace")
        assert "starting the ranks: srun --mpi=pmix --ntasks 2 " in agent_log, agent_log
        check(run_dir / "run.h5", expect_ranks=2, expect_metrics=("latency_us", "busbw_GBps"))
        with h5py.File(run_dir / "run.h5", "r") as f:
            assert list(f["metrics/rank-0/latency_us"][:]["step"]) == [8 << i for i in range(10)]
            assert list(f["metrics/rank-1/latency_us"][:]["step"]) == [8 << i for i in range(10)]
        assert json.loads((run_dir / "slurm.json").read_text())["state"] == "COMPLETED"
        assert f"JobId={job} " in bed.jobcomp.read_text()                 # Slurm's own record of the job
        assert not wait_no_processes(run_dir, 10)


if __name__ == "__main__":
    main(test)
