"""A sweep on a Slurm target becomes one job array (slurm_testbed): `orrery run --sweep`
makes one run folder per combination, one sbatch --array=0-2 job whose task i runs run i,
follows every task to its end, and each run.h5 holds its own parameter's effect."""
import json

import h5py

from e2e_support import Project, main
from slurm_testbed import OrreryOnSlurm, SlurmTestBed


def test():
    with SlurmTestBed() as bed:
        prj = Project("slurm-array")
        on = OrreryOnSlurm(bed, prj, {"cluster": {}})
        ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-sweep", "ranks": 2,
                             "params": {"min_bytes": 8, "max_bytes": 64, "iterations": 3, "warmup": 1}})
        p = on.cli("run", ar, "--target", "cluster", "--sweep", "max_bytes=64, 256, 1024", timeout=90)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        submitted = [l.split() for l in p.stdout.splitlines() if " submitted: " in l]
        assert len(submitted) == 3, p.stdout
        job = submitted[0][-1].split("_")[0]
        assert [s[-1] for s in submitted] == [f"{job}_0", f"{job}_1", f"{job}_2"], submitted
        for i, (max_bytes, words) in enumerate(zip((64, 256, 1024), submitted)):
            run_dir = prj.run_dir(words[1])
            assert f"slurm job {job}_{i}: COMPLETED" in p.stdout, p.stdout
            rec = prj.record(words[1])
            assert rec["status"] == "succeeded" and rec["spec"]["params"]["max_bytes"] == max_bytes, rec
            assert "#SBATCH --array=0-2" in (run_dir / "job.sh").read_text()
            assert json.loads((run_dir / "slurm.json").read_text())["job"] == f"{job}_{i}"
            with h5py.File(run_dir / "run.h5", "r") as f:
                steps = list(f["metrics/rank-0/latency_us"][:]["step"])
                assert steps[-1] == max_bytes, (max_bytes, steps)
        # Without a Slurm target a sweep is refused.
        p = on.cli("run", ar, "--sweep", "max_bytes=64, 128")
        assert p.returncode == 2 and "job array" in p.stderr, (p.returncode, p.stderr)


if __name__ == "__main__":
    main(test)
