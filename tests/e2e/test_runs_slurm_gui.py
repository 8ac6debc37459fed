"""The runs browser against a real single-node Slurm (slurm_testbed) and an sshd on 127.0.0.1
(remote_testbed) used as the cluster's login node. Two 2-rank runs go to targets whose sbatch
lines hold the job (--hold: it stays PENDING, reason JobHeldUser): one submitted with
`orrery run --target held --detach` on this machine (slurm.json then holds no state at all), one
through the login node (`--target viaheld`, followed by the CLI in the background since --detach
is refused there). Then the browser's widget test (gui_runs_test_runs_slurm, offscreen) opens the
project: for each run the Slurm column must show PENDING (JobHeldUser), its context menu's "Cancel
Slurm job..." runs scancel (over ssh for the second), and the row then reads CANCELLED and the run
"cancelled". Here Slurm itself is asked afterwards: both jobs CANCELLED, the verdict is Slurm's, no
agent ran; the CLI following the via run ends with "cancelled". The daemons are stopped by PID
whatever happens (the beds' context managers)."""
import json
import subprocess
import time

from e2e_support import BIN, Project, env, main, slow_spec
from slurm_testbed import PARTITION, OrreryOnSlurm, SlurmTestBed

WIDGET_TEST = BIN / "gui_runs_test_runs_slurm"


def test():
    assert WIDGET_TEST.exists(), f"{WIDGET_TEST} is not built"
    with SlurmTestBed() as bed, bed.login_node() as ssh:
        prj = Project("runs-slurm")
        on = OrreryOnSlurm(bed, prj, {})
        held = {"type": "slurm", "partition": PARTITION, "extra_sbatch": ["--hold"], "time": "00:05:00"}
        (prj.root / "orrery.json").write_text(json.dumps({"name": "runs-slurm", "targets": {
            "local": {"type": "local"}, "held": held, "viaheld": dict(held, via="login"),
            "cluster": {"type": "slurm", "partition": PARTITION, "time": "00:05:00"},
            "login": ssh.target(0, work_dir=str(prj.root.parent / "login-work"))}}))
        on.env = ssh.env(on.env)
        spec = prj.spec("held", slow_spec("held", ranks=2, steps=2000, sleep=0.02))
        busy = prj.spec("busy", slow_spec("busy", ranks=2, steps=2000, sleep=0.02))
        p = on.cli("run", spec, "--target", "held", "--detach")
        assert p.returncode == 0, (p.stdout, p.stderr)
        run_id = p.stdout.split("run ", 1)[1].split()[0]
        job = p.stdout.split("as slurm job ", 1)[1].split()[0]
        assert json.loads((prj.run_dir(run_id) / "slurm.json").read_text())["state"] == "", "state recorded before the browser looked"
        assert bed.job_state(job) == "PENDING"
        via = on.follow("run", spec, "--target", "viaheld")
        try:
            via_id = via.run_id()
            via_job = via.wait_line("submitted: ").split()[-1]
            via.wait_line(f"slurm job {via_job}: PENDING (JobHeldUser)")
            e = bed.env(env())
            e.update(ssh.env({}))
            # A running job: started on the free CPUs (the held ones take none), cancelled mid-run.
            p = on.cli("run", busy, "--target", "cluster", "--detach")
            assert p.returncode == 0, (p.stdout, p.stderr)
            busy_id = p.stdout.split("run ", 1)[1].split()[0]
            busy_job = p.stdout.split("as slurm job ", 1)[1].split()[0]
            e.update({"QT_QPA_PLATFORM": "offscreen", "ORRERY_RUNS_SLURM_PROJECT": str(prj.root),
                      "ORRERY_RUNS_SLURM_RUNS": f"{run_id}|PENDING (JobHeldUser),{via_id}|PENDING (JobHeldUser),"
                                                f"{busy_id}|RUNNING on orrery-node"})
            started = time.monotonic()
            w = subprocess.run([str(WIDGET_TEST)], capture_output=True, text=True, timeout=180, env=e)
            out = w.stdout + w.stderr
            assert w.returncode == 0, out
            assert "PASS   : RunsSlurmTest::slurmBed()" in out, out   # ran, not skipped
            print(f"timing widget test (open; for each of 3 runs PENDING or RUNNING seen, cancel, CANCELLED seen): "
                  f"{time.monotonic() - started:.1f} s")
            print("\n".join(line for line in out.splitlines() if line.startswith(("browser shows", "cancel outcome"))))
            code = via.finish(60)
        finally:
            via.finish(5)
        assert code == 3, (code, via.text())                    # the CLI's verdict on the via run: cancelled
        for rid, jid in ((run_id, job), (via_id, via_job)):
            assert f"browser shows: job {jid}: PENDING (JobHeldUser)" in out, out
            assert f"scancel {jid} done for run {rid}" in out, out
            assert bed.job_state(jid) == "CANCELLED"
            rec = prj.record(rid)
            assert rec["status"] == "cancelled", rec
            assert f"Slurm job {jid} was cancelled before orrery-agent started" in rec["reason"], rec
            assert rec["agent"]["pid"] == 0 and not (prj.run_dir(rid) / "run.h5").exists()
            assert json.loads((prj.run_dir(rid) / "slurm.json").read_text())["state"] == "CANCELLED"
        # The running job: cancelled from the browser, its agent got SIGTERM and wrote the verdict.
        assert f"browser shows: job {busy_job}: RUNNING on orrery-node" in out, out
        assert f"scancel {busy_job} done for run {busy_id}" in out, out
        assert bed.job_state(busy_job) == "CANCELLED"
        rec = prj.record(busy_id)
        assert rec["status"] == "cancelled" and rec["agent"]["pid"] > 0, rec
        assert json.loads((prj.run_dir(busy_id) / "slurm.json").read_text())["state"] == "CANCELLED"
        # The via run's folder on the login node's side got the same verdict.
        remote = json.loads((prj.root.parent / "login-work" / "runs" / via_id / "run.json").read_text())
        assert remote["status"] == "cancelled", remote


if __name__ == "__main__":
    main(test)
