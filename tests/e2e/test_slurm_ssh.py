"""A Slurm target reached through an ssh target (remote_testbed's sshd on 127.0.0.1 as the
login node, slurm_testbed's cluster behind it): `orrery targets test` lists the partition and
the queue through ssh; a run is deployed to the ssh target's work folder, submitted with
sbatch over ssh, followed PENDING -> succeeded (the feed through the forwarded socket), and its folder copied back, read by h5py; a held job is cancelled through ssh."""
import json
import subprocess
import time
from types import SimpleNamespace

import h5py

from check_run_h5 import check
from e2e_support import ORRERY, Project, env, main, slow_spec
from slurm_testbed import PARTITION, Follower, SlurmTestBed


def test():
    with SlurmTestBed() as slurm, slurm.login_node() as bed:
        prj = Project("slurm-ssh")
        work = bed.root / "login work"
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "login": bed.target(0, work_dir=work),
            "cluster": {"type": "slurm", "via": "login", "partition": PARTITION},
            "held": {"type": "slurm", "via": "login", "extra_sbatch": ["--hold"]}}}))
        e = bed.env(env())      # no SLURM_CONF here: only the login node's sessions know the cluster

        def cli(*args, timeout=90):
            return subprocess.run([ORRERY, "-p", str(prj.root), *map(str, args)], capture_output=True, text=True,
                                  timeout=timeout, env=e)

        filler = slurm.fill_node(60)
        p = cli("targets", "test", "cluster")
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert f"on root@127.0.0.1:{bed.servers[0].port}" in p.stdout or "@127.0.0.1" in p.stdout, p.stdout
        assert f"{filler} {PARTITION} filler RUNNING" in p.stdout, p.stdout

        ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-login", "ranks": 2,
                             "params": {"min_bytes": 8, "max_bytes": 4096, "iterations": 5, "warmup": 1}})
        run = Follower(SimpleNamespace(project=prj, env=e), ("run", ar, "--target", "cluster"))
        try:
            run_id = run.run_id()
            job = run.wait_line(" submitted: ").split()[-1]
            run.wait_line(f"slurm job {job}: PENDING (Resources)")
            slurm.run("scancel", filler)
            code = run.finish(90)
        finally:
            run.finish(5)
        out = run.text()
        assert code == 0, (code, out)
        for state in (f"slurm job {job}: PENDING (Resources)", f"slurm job {job}: COMPLETED"):
            assert state in out, (state, out)
        local = prj.run_dir(run_id)
        assert (work / "runs" / run_id / "run.h5").is_file()               # written on the login node's side
        assert (work / "bin" / "orrery-agent").is_file()                   # deployed there
        assert json.loads((local / "remote.json").read_text())["copied_back"] is True
        rec = json.loads((local / "run.json").read_text())
        assert rec["status"] == "succeeded" and rec["target"] == "cluster", rec
        assert f"'{work}/bin/orrery-agent'" in (local / "job.sh").read_text()
        check(local / "run.h5", expect_ranks=2, expect_metrics=("latency_us", "busbw_GBps"))
        with h5py.File(local / "run.h5", "r") as f:
            assert list(f["metrics/rank-1/latency_us"][:]["step"]) == [8 << i for i in range(10)]
        assert "starting the ranks: srun --mpi=pmix" in (local / "logs" / "agent.log").read_text()

        # A held job, cancelled through ssh: both copies of run.json say so.
        slow = prj.spec("slow", slow_spec("slow", ranks=1, steps=5, sleep=0.01))
        proc = subprocess.Popen([ORRERY, "-p", str(prj.root), "run", slow, "--target", "held"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=e)
        try:
            deadline = time.time() + 30
            held = None
            while held is None and time.time() < deadline:
                for d in (prj.root / "runs").glob("*-slow-*"):
                    if (d / "slurm.json").exists() and json.loads((d / "slurm.json").read_text())["state"] == "PENDING":
                        held = d.name
                time.sleep(0.1)
            assert held, "the held job was not seen pending"
            p = cli("cancel", held)
            assert p.returncode == 0 and "scancel" in p.stdout, (p.stdout, p.stderr)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 3, (proc.returncode, out, err)
        for d in (prj.run_dir(held), work / "runs" / held):
            rec = json.loads((d / "run.json").read_text())
            assert rec["status"] == "cancelled" and "cancelled before orrery-agent started" in rec["reason"], (d, rec)


if __name__ == "__main__":
    main(test)
