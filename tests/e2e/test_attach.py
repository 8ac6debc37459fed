"""orrery attach from second and third clients while a run lives: each follows the live feed and
exits 0 when the run succeeds."""
import subprocess

from e2e_support import Project, main, slow_spec, ORRERY, env


def test():
    prj = Project("attach")
    run_id = prj.start_detached(prj.spec("slow", slow_spec("slow", ranks=2, steps=60, sleep=0.05)))
    prj.wait_for(run_id, lambda r: r["status"] == "running", 30, "running")
    clients = [subprocess.Popen([ORRERY, "-p", str(prj.root), "attach", run_id], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env()) for _ in range(2)]
    for c in clients:
        out, err = c.communicate(timeout=90)
        assert c.returncode == 0, (c.returncode, out, err)
        assert "succeeded" in out and "loss=" in out, out
        assert "running" in out, out   # it saw the run live, not only the verdict
    assert prj.record(run_id)["status"] == "succeeded"
    # Attaching to a finished run prints the verdict at once.
    p = prj.cli("attach", "slow", check=0)
    assert "succeeded" in p.stdout


if __name__ == "__main__":
    main(test)
