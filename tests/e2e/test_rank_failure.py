"""kill -9 of one rank's worker: the job is aborted, the run reads `failed` with that rank and
signal named and its last log lines, and no process of the run is left. Also a rank that exits
with a non-zero code on its own."""
import os
import signal
import time

from e2e_support import Project, main, slow_spec, worker_pid, wait_no_processes, describe_pids


def test():
    prj = Project("rankfail")
    run_id = prj.start_detached(prj.spec("slow", slow_spec("slow", ranks=2, steps=2000, sleep=0.02)))
    run_dir = prj.run_dir(run_id)
    prj.wait_for(run_id, lambda r: r["last_metrics"].get("loss") is not None, 60, "metrics to flow")
    pid = None
    deadline = time.time() + 20
    while pid is None and time.time() < deadline:
        pid = worker_pid(run_dir, 1)
        time.sleep(0.1)
    assert pid, "rank 1's worker not found"
    os.kill(pid, signal.SIGKILL)
    rec = prj.wait_final(run_id, 60)
    assert rec["status"] == "failed", rec
    assert rec["failure"]["rank"] == 1 and rec["failure"]["signal"] == 9, rec["failure"]
    assert rec["failure"]["log_tail"] == ["rank 1: starting 2000 steps"], rec["failure"]["log_tail"]
    assert "rank 1" in rec["reason"], rec["reason"]
    left = wait_no_processes(run_dir, 10)
    assert not left, "processes left behind:\n" + describe_pids(left)
    show = prj.cli("show", run_id, check=0).stdout
    assert "failure  rank 1, signal 9" in show, show
    p = prj.cli("attach", run_id)
    assert p.returncode == 1 and "failed" in p.stdout, p.stdout

    # A rank that fails on its own with exit code 7.
    spec = slow_spec("fail7", ranks=2, steps=200, sleep=0.02, extra=("--fail-rank", "0", "--fail-step", "3"))
    p = prj.cli("run", prj.spec("fail7", spec), "--quiet")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "failing rank: 0 (exit code 7)" in p.stdout, p.stdout
    assert "failing on purpose" in p.stdout, p.stdout


if __name__ == "__main__":
    main(test)
