"""The runs browser against a real single-node Slurm (slurm_testbed): `orrery run --target held
--detach` submits a 2-rank run to a target whose sbatch lines hold the job (--hold: it stays
PENDING, reason JobHeldUser) and returns at once, leaving slurm.json without any state. Then the
browser's widget test (gui_runs_test_runs_slurm, offscreen) opens the project: the Slurm column
must show PENDING (JobHeldUser) from the browser's own look at Slurm, its context menu's "Cancel
Slurm job..." runs scancel, and the row then reads CANCELLED and the run "cancelled". Here Slurm
itself is asked afterwards: the job is CANCELLED, the run's verdict is Slurm's, no agent ran.
The daemons are stopped by PID whatever happens (the bed's context manager)."""
import json
import subprocess
import time

from e2e_support import BIN, Project, env, main, slow_spec
from slurm_testbed import OrreryOnSlurm, SlurmTestBed

WIDGET_TEST = BIN / "gui_runs_test_runs_slurm"


def test():
    assert WIDGET_TEST.exists(), f"{WIDGET_TEST} is not built"
    with SlurmTestBed() as bed:
        prj = Project("runs-slurm")
        on = OrreryOnSlurm(bed, prj, {"held": {"extra_sbatch": ["--hold"], "time": "00:05:00"}})
        spec = prj.spec("held", slow_spec("held", ranks=2, steps=2000, sleep=0.02))
        p = on.cli("run", spec, "--target", "held", "--detach")
        assert p.returncode == 0, (p.stdout, p.stderr)
        run_id = p.stdout.split("run ", 1)[1].split()[0]
        job = p.stdout.split("as slurm job ", 1)[1].split()[0]
        assert json.loads((prj.run_dir(run_id) / "slurm.json").read_text())["state"] == "", "state recorded before the browser looked"
        assert bed.job_state(job) == "PENDING"
        e = bed.env(env())
        e.update({"QT_QPA_PLATFORM": "offscreen", "ORRERY_RUNS_SLURM_PROJECT": str(prj.root),
                  "ORRERY_RUNS_SLURM_RUN": run_id})
        started = time.monotonic()
        w = subprocess.run([str(WIDGET_TEST)], capture_output=True, text=True, timeout=180, env=e)
        out = w.stdout + w.stderr
        assert w.returncode == 0, out
        assert "PASS   : RunsSlurmTest::slurmBed()" in out, out   # ran, not skipped
        print(f"timing widget test (open, PENDING seen, cancel, CANCELLED seen): {time.monotonic() - started:.1f} s")
        print("\n".join(line for line in out.splitlines() if line.startswith(("browser shows", "cancel outcome"))))
        assert f"browser shows: job {job}: PENDING (JobHeldUser)" in out, out
        assert bed.job_state(job) == "CANCELLED"
        rec = prj.record(run_id)
        assert rec["status"] == "cancelled", rec
        assert f"Slurm job {job} was cancelled before orrery-agent started" in rec["reason"], rec
        assert rec["agent"]["pid"] == 0 and not (prj.run_dir(run_id) / "run.h5").exists()
        assert json.loads((prj.run_dir(run_id) / "slurm.json").read_text())["state"] == "CANCELLED"


if __name__ == "__main__":
    main(test)
