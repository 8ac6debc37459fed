"""orrery cancel: SIGTERM to the ranks, SIGKILL after the grace period for a rank that ignores
SIGTERM; the run reads `cancelled`, no process is left. Ctrl-C → detach keeps the run going."""
import signal
import subprocess
import time

from e2e_support import Project, main, slow_spec, wait_no_processes, describe_pids, ORRERY, env


def test():
    prj = Project("cancel")
    run_id = prj.start_detached(prj.spec("slow", slow_spec("slow", ranks=2, steps=100000, sleep=0.02)))
    prj.wait_for(run_id, lambda r: "loss" in r["last_metrics"], 60, "metrics to flow")
    p = prj.cli("cancel", run_id, check=0)
    assert "cancelled" in p.stdout, p.stdout
    rec = prj.record(run_id)
    assert rec["status"] == "cancelled" and rec["reason"] == "cancelled by user", rec
    left = wait_no_processes(prj.run_dir(run_id), 5)
    assert not left, describe_pids(left)

    # A worker that ignores SIGTERM is killed after the grace period (5 s by default).
    run2 = prj.start_detached(prj.spec("stubborn", slow_spec("stubborn", ranks=2, steps=100000, sleep=0.02,
                                                            extra=("--ignore-sigterm",))))
    prj.wait_for(run2, lambda r: "loss" in r["last_metrics"], 60, "metrics to flow")
    t0 = time.time()
    p = prj.cli("cancel", run2, check=0)
    took = time.time() - t0
    assert prj.record(run2)["status"] == "cancelled", prj.record(run2)
    assert 3 < took < 20, took
    left = wait_no_processes(prj.run_dir(run2), 5)
    assert not left, describe_pids(left)

    # Ctrl-C while following (no terminal on stdin) detaches: the run goes on.
    proc = subprocess.Popen([ORRERY, "-p", str(prj.root), "run", str(prj.spec("slow3", slow_spec("slow3", steps=100000)))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env())
    line = proc.stdout.readline()
    run3 = line.split()[1]
    prj.wait_for(run3, lambda r: "loss" in r["last_metrics"], 60, "metrics to flow")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 5 and "detached" in out, (proc.returncode, out, err)
    assert prj.record(run3)["status"] == "running"
    prj.cli("cancel", run3, check=0)


if __name__ == "__main__":
    main(test)
