"""kill -9 of the agent: its ranks are gone within 5 s, run.h5 stays readable (h5py, SWMR) with the
data up to the last flush, and readers report the run as `lost`."""
import os
import signal
import time

import h5py

from e2e_support import Project, main, slow_spec, wait_no_processes, describe_pids, processes_of_run


def is_mpirun(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0].endswith(b"mpirun")
    except OSError:
        return False


def test():
    prj = Project("agentkill")
    run_id = prj.start_detached(prj.spec("slow", slow_spec("slow", ranks=2, steps=5000, sleep=0.01)))
    run_dir = prj.run_dir(run_id)
    rec = prj.wait_for(run_id, lambda r: r["last_metrics"].get("loss", {}).get("step", 0) > 30, 60, "metrics to flow")
    time.sleep(1.2)   # at least one flush after those points
    os.kill(rec["agent"]["pid"], signal.SIGKILL)
    t0 = time.time()
    # The ranks (orrery-rank supervisors and workers) within 5 s; mpirun itself, which got
    # SIGKILL from the kernel (PR_SET_PDEATHSIG), is checked with a margin.
    ranks_left = [p for p in processes_of_run(run_dir) if not is_mpirun(p)]
    while ranks_left and time.time() - t0 < 5:
        time.sleep(0.05)
        ranks_left = [p for p in processes_of_run(run_dir) if not is_mpirun(p)]
    assert not ranks_left, f"after {time.time() - t0:.1f} s, ranks left:\n" + describe_pids(ranks_left)
    print(f"ranks gone {time.time() - t0:.2f} s after kill -9 of the agent")
    left = wait_no_processes(run_dir, 15)
    assert not left, f"after {time.time() - t0:.1f} s, processes left:\n" + describe_pids(left)
    print(f"every process of the run gone {time.time() - t0:.2f} s after kill -9 of the agent")

    with h5py.File(run_dir / "run.h5", "r", swmr=True) as f:
        loss = f["metrics/rank-0/loss"][:]
        assert len(loss) > 20, len(loss)
        assert (loss["step"][1:] > loss["step"][:-1]).all()
    ls = prj.cli("ls", check=0).stdout
    assert "lost" in ls, ls
    p = prj.cli("attach", run_id)
    assert p.returncode == 4 and "lost" in p.stdout, p.stdout


if __name__ == "__main__":
    main(test)
