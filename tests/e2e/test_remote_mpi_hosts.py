"""Multi-host mpirun over SSH: a target on 127.0.0.1 whose host list is 127.0.0.1 and 127.0.0.2
(two sshd "hosts" of remote_testbed); the remote agent's mpirun starts rank 1 through ssh on
127.0.0.2 (--bind-to none, TCP kept on loopback), allreduce-bench runs across both, and the
copied-back run.h5 holds both ranks' series. The target's rank_interface makes the ranks reach
the agent over TCP on 127.0.0.1 (CURVE-encrypted), as ranks on a cluster's other nodes must:
the unix sockets are not made, so every point in run.h5 came through TCP."""
import json
import re
import subprocess

import h5py

from check_run_h5 import check
from e2e_support import ORRERY, Project, main, env
from remote_testbed import SshTestBed


def test():
    with SshTestBed() as bed:
        prj = Project("remote-mpi")
        pair = bed.target(0, hosts=["127.0.0.1", "127.0.0.2"],
                          mpirun_args=["--mca", "oob_tcp_if_include", "lo", "--mca", "btl_tcp_if_include", "lo",
                                       "--mca", "btl", "tcp,self", "--mca", "plm_rsh_agent", bed.rsh_agent(1)],
                          rank_interface="127.0.0.1")
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {"pair": pair}}))
        spec = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-2hosts", "ranks": 2,
                               "params": {"min_bytes": 8, "max_bytes": 65536, "iterations": 5, "warmup": 1}})
        logins_before = bed.servers[1].accepted_logins()
        p = subprocess.run([ORRERY, "-p", str(prj.root), "run", spec, "--target", "pair"], capture_output=True,
                           text=True, timeout=120, env=bed.env(env()))
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert bed.servers[1].accepted_logins() > logins_before, "mpirun did not reach the second host (127.0.0.2)"
        run_id = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]
        run_dir = prj.root / "runs" / run_id
        check(run_dir / "run.h5", expect_ranks=2, expect_metrics=("latency_us", "busbw_GBps"))
        agent_log = (run_dir / "logs" / "agent.log").read_text()
        assert re.search(r"ranks reach this agent over TCP \(CURVE\): telemetry tcp://127\.0\.0\.1:\d+, "
                         r"commands tcp://127\.0\.0\.1:\d+", agent_log), agent_log
        assert "ORRERY_CURVE_SECRET=" not in agent_log   # only its name goes on mpirun's -x, never its value
        assert not (run_dir / "agent" / "telemetry.sock").exists()
        with h5py.File(run_dir / "run.h5", "r") as f:
            for rank in (0, 1):
                assert len(f[f"spans/rank-{rank}"]) >= 14   # one communication span per size, 8 B .. 64 KiB
            lat = f["metrics/rank-0/latency_us"][:]
            assert list(lat["step"]) == [8 << i for i in range(14)] and (lat["value"] > 0).all()


if __name__ == "__main__":
    main(test)
