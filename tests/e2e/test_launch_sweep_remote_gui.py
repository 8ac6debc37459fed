"""Sweeps from the launch form on remote targets, against the real beds: a single-node Slurm
(slurm_testbed) and an sshd on 127.0.0.1 (remote_testbed, host key known). The form's widget test
(gui_launch_test_launch_remote, its sweepBeds function only, offscreen) launches a sweep of 2
points (the worker's argv swept: 20 and 30 steps) three times: on the local Slurm target as one job
array, on the same Slurm through the ssh login node ("via") as one job array followed over ssh and
copied back, and on the ssh target as 2 runs started one after another (the form's deploy progress
lines checked there: every file sent for the first run, none for the second). Here each run's files are
checked: its own array task in slurm.json (<job>_0 and <job>_1 of one job, COMPLETED), h5py reads
every step of run.h5 (copied back for via and ssh). The daemons are stopped by PID whatever happens."""
import json
import subprocess

from check_run_h5 import check
from e2e_support import BIN, Project, WORKERS, env, main
from slurm_testbed import PARTITION, SlurmTestBed
import h5py

WIDGET_TEST = BIN / "gui_launch_test_launch_remote"


def steps_of(run_dir):
    with h5py.File(run_dir / "run.h5", "r") as f:
        return list(f["metrics/rank-0/loss"][:]["step"])


def test():
    assert WIDGET_TEST.exists(), f"{WIDGET_TEST} is not built"
    with SlurmTestBed() as slurm, slurm.login_node() as ssh:
        prj = Project("launch-sweep")
        slurm_target = {"type": "slurm", "partition": PARTITION, "time": "00:05:00", "nodes": 1, "tasks_per_node": 2}
        (prj.root / "orrery.json").write_text(json.dumps({"name": "launch-sweep", "targets": {
            "local": {"type": "local"},
            "box": ssh.target(0, work_dir=str(prj.root.parent / "box-work")),
            "login": ssh.target(0, work_dir=str(prj.root.parent / "login-work")),
            "cluster": slurm_target,
            "viacluster": dict(slurm_target, via="login"),
        }}))
        e = slurm.env(ssh.env(env()))
        e.update({"QT_QPA_PLATFORM": "offscreen", "ORRERY_LAUNCH_SWEEP_PROJECT": str(prj.root),
                  "ORRERY_LAUNCH_REMOTE_WORKER": str(WORKERS / "slow_worker.py")})
        p = subprocess.run([str(WIDGET_TEST), "sweepBeds"], capture_output=True, text=True, timeout=270, env=e)
        out = p.stdout + p.stderr
        assert p.returncode == 0, out
        assert "PASS   : TestLaunchRemote::sweepBeds()" in out, out   # ran, not skipped
        print("\n".join(line for line in out.splitlines() if line.startswith(("timing", "swept", "deploy lines", "  deploying"))))
        for target in ("cluster", "viacluster", "box"):
            ids = out.split(f"swept {target} runs ")[1].splitlines()[0].split()
            assert len(ids) == 2, ids
            lengths = set()
            jobs = []
            for run_id in ids:
                run = prj.root / "runs" / run_id
                rec = json.loads((run / "run.json").read_text())
                assert rec["status"] == "succeeded" and rec["target"] == target, rec
                check(run / "run.h5", expect_ranks=1, expect_metrics=("loss",))
                steps = steps_of(run)
                assert steps == list(range(len(steps))), steps
                lengths.add(len(steps))
                if target != "box":
                    job = json.loads((run / "slurm.json").read_text())
                    assert job["state"] == "COMPLETED", job
                    jobs.append(job["job"])
                if target != "cluster":
                    assert json.loads((run / "remote.json").read_text())["copied_back"] is True
            assert lengths == {20, 30}, (target, lengths)            # the two points of the sweep, one each
            if target != "box":
                array = jobs[0].split("_")[0]
                assert sorted(jobs) == [f"{array}_0", f"{array}_1"], jobs   # one job array, a task per run
        assert len(list((prj.root / "runs").iterdir())) == 6


if __name__ == "__main__":
    main(test)
