"""Runs over SSH against real sshd servers on 127.0.0.1 and 127.0.0.2 (remote_testbed):
deploy by content hash, the remote agent detached, live telemetry through the forwarded
feed socket, the run folder copied back and read by h5py; the ssh connection killed mid-run
(reconnects, nothing lost); an unknown host key refused; shell metacharacters in host and
user names refused and in the work folder passed through safely."""
import json
import os
import signal
import subprocess
import threading
import time

import h5py
import zmq

from check_run_h5 import check
from e2e_support import ORRERY, Project, main, env, slow_spec
from remote_testbed import SshTestBed


def started_id(stdout):
    return [l.split()[1] for l in stdout.splitlines() if l.startswith("run ") and "started" in l][0]


class FeedCounter:
    """Counts telemetry batches arriving on a run's local (forwarded) feed socket."""

    def __init__(self, endpoint):
        self.ctx = zmq.Context()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"batch")
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.connect(endpoint)
        self.batches = 0
        self.arrivals = []
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            if self.sub.poll(100):
                parts = self.sub.recv_multipart()
                if parts[0] == b"batch":
                    self.batches += 1
                    self.arrivals.append(time.time())

    def close(self):
        self.running = False
        self.thread.join()
        self.sub.close()
        self.ctx.term()


def test():
    with SshTestBed() as bed:
        prj = Project("remote-ssh")
        odd_dir = bed.root / "remote dir 'q' $(touch PWNED-wd) ;x"
        settings = {"name": "remote", "targets": {
            "local": {"type": "local"},
            "lo1": bed.target(0),
            "lo2": bed.target(1, work_dir=odd_dir),
            "stranger": bed.target(0, known_hosts_file=str(bed.empty_known_hosts)),
            "evil-host": dict(bed.target(0), host="127.0.0.1;touch PWNED-host"),
            "evil-user": dict(bed.target(0), user="root$(touch PWNED-user)"),
        }}
        (prj.root / "orrery.json").write_text(json.dumps(settings))
        e = bed.env(env())

        def cli(*args, timeout=120):
            return subprocess.run([ORRERY, "-p", str(prj.root), *map(str, args)], capture_output=True, text=True,
                                  timeout=timeout, env=e, cwd=bed.root)

        # --- allreduce-bench on 127.0.0.2, in a work folder whose name is full of shell syntax.
        ar = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-remote", "ranks": 2,
                             "params": {"min_bytes": 8, "max_bytes": 4096, "iterations": 5, "warmup": 1}})
        p = cli("run", ar, "--target", "lo2")
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert "deployed: 3 of 3 files sent" in p.stdout, p.stdout
        run_id = started_id(p.stdout)
        local = prj.run_dir(run_id)
        rec = json.loads((local / "run.json").read_text())
        assert rec["status"] == "succeeded" and rec["target"] == "lo2", rec
        assert (odd_dir / "runs" / run_id / "run.h5").is_file()       # written on the "remote" side
        assert json.loads((local / "remote.json").read_text())["copied_back"] is True
        check(local / "run.h5", expect_ranks=2, expect_metrics=("latency_us", "busbw_GBps"))
        with h5py.File(local / "run.h5", "r") as f:
            assert list(f["metrics/rank-0/latency_us"][:]["step"]) == [8 << i for i in range(10)]
        assert (local / "logs" / "agent.log").is_file()
        assert not list(bed.root.rglob("PWNED*")), list(bed.root.rglob("PWNED*"))

        # The same binaries again: nothing to send (content hashes match).
        p = cli("run", ar, "--target", "lo2", "-q")
        assert p.returncode == 0 and "deployed: 0 of 3 files sent" in p.stdout, (p.stdout, p.stderr)

        # --- a slow run on 127.0.0.1: live batches through the tunnel; the connection killed mid-run.
        slow = prj.spec("slow", slow_spec("slow", ranks=2, steps=100, sleep=0.05))
        proc = subprocess.Popen([ORRERY, "-p", str(prj.root), "run", slow, "--target", "lo1"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=e, cwd=bed.root)
        counter = None
        try:
            deadline = time.time() + 30
            run_dir = None
            while time.time() < deadline and run_dir is None:
                for d in (prj.root / "runs").glob("*slow*"):
                    if (d / "remote.json").exists():
                        run_dir = d
                time.sleep(0.05)
            assert run_dir, "no remote.json for the slow run"
            rec = json.loads((run_dir / "run.json").read_text())
            counter = FeedCounter(rec["agent"]["feed"])
            deadline = time.time() + 20
            while counter.batches < 5 and time.time() < deadline:
                time.sleep(0.05)
            assert counter.batches >= 5, "no live telemetry through the forwarded feed socket"
            master = json.loads((run_dir / "remote.json").read_text())["master_pid"]
            assert master > 0
            os.kill(master, signal.SIGKILL)            # the ssh connection dies mid-run
            killed_at = time.time()
            out, err = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        # Batches still arriving well after the kill came through the re-established tunnel.
        after = sum(1 for t in counter.arrivals if t > killed_at + 1.0)
        counter.close()
        assert proc.returncode == 0, (proc.returncode, out, err)
        assert "lost; reconnecting" in err and "reconnected to" in err, err
        assert after > 0, "no live telemetry after reconnecting"
        remote = json.loads((run_dir / "remote.json").read_text())
        assert remote["reconnects"] >= 1 and remote["master_pid"] not in (0, master), remote
        with h5py.File(run_dir / "run.h5", "r") as f:
            for rank in (0, 1):
                steps = list(f[f"metrics/rank-{rank}/loss"][:]["step"])
                assert steps == list(range(100)), (rank, steps[:5], len(steps))   # nothing lost

        # --- unknown host key: refused with a clear message, nothing launched.
        runs_before = set((prj.root / "runs").iterdir())
        p = cli("run", ar, "--target", "stranger")
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert "host key of" in p.stderr and "not known" in p.stderr and "--accept-new-host-key" in p.stderr, p.stderr
        assert set((prj.root / "runs").iterdir()) == runs_before
        p = cli("targets", "test", "stranger", "--accept-new-host-key")
        assert p.returncode == 0 and "connected to" in p.stdout and "mpi: mpirun (Open MPI)" in p.stdout, (p.stdout, p.stderr)
        assert "ssh-ed25519" in bed.empty_known_hosts.read_text()   # trusted on first use, recorded

        # --- shell metacharacters in host and user names: the targets are refused, nothing runs.
        for name, field in (("evil-host", "host"), ("evil-user", "user")):
            p = cli("run", ar, "--target", name)
            assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
            assert f"$.targets.{name}.{field}" in p.stderr and f'unknown target "{name}"' in p.stderr, p.stderr
        assert not list(bed.root.rglob("PWNED*")) and not list(prj.root.rglob("PWNED*"))

        p = cli("targets")
        assert p.returncode == 0 and "lo1\tssh" in p.stdout and "local\tlocal" in p.stdout, p.stdout
        p = cli("targets", "test", "lo1")
        assert p.returncode == 0 and "warm connection" in p.stdout and "deployed and current" in p.stdout, p.stdout


if __name__ == "__main__":
    main(test)
