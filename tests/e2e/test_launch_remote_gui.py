"""The launch form against a real sshd on 127.0.0.1 (remote_testbed): this script starts the
bed, writes a project whose orrery.json names two ssh targets whose host key is not known yet
(an empty known_hosts each), and runs the form's widget test (gui_launch_test_launch_remote,
offscreen) on it: "refused" is declined at the host-key question (nothing launched, nothing
recorded), "stranger" is trusted and a 2-rank command run of the slow worker is launched from
the form, followed and copied back; then a Slurm run on a real single-node Slurm (slurm_testbed):
script shown, Submit, followed until COMPLETED; then the same Slurm through the ssh target
"login" ("via", host key not known yet: trusted at the question), submitted over ssh, followed
until COMPLETED and copied back from the login node's work folder. Here h5py then reads the copied-back run.h5: both
ranks, every step. The daemons are stopped by PID whatever happens (the beds' context managers)."""
import json
import subprocess

from check_run_h5 import check
from e2e_support import BIN, Project, WORKERS, env, main
from remote_testbed import unknown_hosts_file
from slurm_testbed import PARTITION, SlurmTestBed
import h5py

WIDGET_TEST = BIN / "gui_launch_test_launch_remote"
STEPS = 60


def test():
    assert WIDGET_TEST.exists(), f"{WIDGET_TEST} is not built"
    with SlurmTestBed() as slurm, slurm.login_node() as ssh:
        prj = Project("launch-remote")
        stranger, refused, login = (unknown_hosts_file(prj.root, name) for name in ("stranger", "refused", "login"))
        (prj.root / "orrery.json").write_text(json.dumps({"name": "launch-remote", "targets": {
            "local": {"type": "local"},
            "stranger": ssh.target(0, known_hosts_file=str(stranger)),
            "refused": ssh.target(0, known_hosts_file=str(refused)),
            "cluster": {"type": "slurm", "partition": PARTITION, "time": "00:05:00", "nodes": 1, "tasks_per_node": 4},
            "login": ssh.target(0, known_hosts_file=str(login), work_dir=str(prj.root.parent / "login-work")),
            "viacluster": {"type": "slurm", "via": "login", "partition": PARTITION, "time": "00:05:00", "nodes": 1,
                           "tasks_per_node": 4},
        }}))
        fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", str(ssh.servers[0].host_key) + ".pub"],
                                     capture_output=True, text=True, check=True).stdout.split()[1]
        e = slurm.env(ssh.env(env()))
        e.update({"QT_QPA_PLATFORM": "offscreen", "ORRERY_LAUNCH_REMOTE_PROJECT": str(prj.root),
                  "ORRERY_LAUNCH_REMOTE_FINGERPRINT": fingerprint,
                  "ORRERY_LAUNCH_REMOTE_WORKER": str(WORKERS / "slow_worker.py")})
        p = subprocess.run([str(WIDGET_TEST)], capture_output=True, text=True, timeout=240, env=e)
        out = p.stdout + p.stderr
        assert p.returncode == 0, out
        assert "PASS   : TestLaunchRemote::testBeds()" in out, out   # ran, not skipped
        assert "ssh-ed25519" in stranger.read_text() and "ssh-ed25519" not in refused.read_text()
        run_id = out.split("launched remote run ")[1].split()[0]
        local = prj.root / "runs" / run_id
        rec = json.loads((local / "run.json").read_text())
        assert rec["status"] == "succeeded" and rec["target"] == "stranger", rec
        assert json.loads((local / "remote.json").read_text())["copied_back"] is True
        check(local / "run.h5", expect_ranks=2, expect_metrics=("loss",))
        with h5py.File(local / "run.h5", "r") as f:
            for rank in (0, 1):
                assert list(f[f"metrics/rank-{rank}/loss"][:]["step"]) == list(range(STEPS)), rank
        assert (local / "logs" / "agent.log").is_file()
        job_run = out.split("submitted slurm run ")[1].split()[0]
        rec = json.loads((prj.root / "runs" / job_run / "run.json").read_text())
        assert rec["status"] == "succeeded" and rec["target"] == "cluster", rec
        assert json.loads((prj.root / "runs" / job_run / "slurm.json").read_text())["state"] == "COMPLETED"
        check(prj.root / "runs" / job_run / "run.h5", expect_ranks=2, expect_metrics=("loss",))
        assert "ssh-ed25519" in login.read_text()
        via_run = out.split("submitted via slurm run ")[1].split()[0]
        via = prj.root / "runs" / via_run
        rec = json.loads((via / "run.json").read_text())
        assert rec["status"] == "succeeded" and rec["target"] == "viacluster", rec
        assert json.loads((via / "slurm.json").read_text())["state"] == "COMPLETED"
        assert json.loads((via / "remote.json").read_text())["copied_back"] is True
        assert (prj.root.parent / "login-work" / "runs" / via_run / "job.sh").is_file()   # the job ran on the login node's side
        check(via / "run.h5", expect_ranks=2, expect_metrics=("loss",))
        with h5py.File(via / "run.h5", "r") as f:
            for rank in (0, 1):
                assert list(f[f"metrics/rank-{rank}/loss"][:]["step"]) == list(range(STEPS)), rank
        print("\n".join(line for line in out.splitlines() if line.startswith("timing")))
        print("form lines (slurm via ssh):" + out.split("form lines (slurm via ssh):")[1].split("submitted via")[0])
        assert len(list((prj.root / "runs").iterdir())) == 3   # the declined and the cancelled launch made no run


if __name__ == "__main__":
    main(test)
