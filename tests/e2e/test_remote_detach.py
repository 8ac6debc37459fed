"""orrery run --detach on an ssh target, then orrery attach: the remote agent goes on without
the client (the ssh connection is even killed in between); attach reconnects, forwards the
run's sockets again, follows it to its end and copies its folder back, with every point of
both ranks in run.h5. A second detached run has already ended when attach comes: it is copied
back at once. Against the real sshd of remote_testbed on 127.0.0.1."""
import json
import os
import signal
import subprocess
import time

import h5py

from e2e_support import ORRERY, Project, main, env, slow_spec
from remote_testbed import SshTestBed


def started_id(stdout):
    return [l.split()[1] for l in stdout.splitlines() if l.startswith("run ") and "started" in l][0]


def steps_of(run_dir, rank):
    with h5py.File(run_dir / "run.h5", "r") as f:
        return list(f[f"metrics/rank-{rank}/loss"][:]["step"])


def test():
    with SshTestBed() as bed:
        prj = Project("remote-detach")
        work_dir = bed.root / "remote-work"
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {"lo1": bed.target(0, work_dir=work_dir)}}))
        e = bed.env(env())

        def cli(*args, timeout=120):
            return subprocess.run([ORRERY, "-p", str(prj.root), *map(str, args)], capture_output=True, text=True,
                                  timeout=timeout, env=e, cwd=bed.root)

        # --- detached while running; the connection dies; attach follows it to its end.
        slow = prj.spec("slow", slow_spec("detached", ranks=2, steps=80, sleep=0.05))
        p = cli("run", slow, "--target", "lo1", "--detach")
        assert p.returncode == 0, (p.stdout, p.stderr)
        run_id = started_id(p.stdout)
        assert f"orrery attach {run_id}" in p.stdout, p.stdout
        local = prj.run_dir(run_id)
        where = json.loads((local / "remote.json").read_text())
        assert where["copied_back"] is False and where["target"] == "lo1", where
        assert not (local / "run.h5").exists()                       # nothing copied yet: the run goes on remotely
        if where["master_pid"] > 0:
            try:
                os.kill(where["master_pid"], signal.SIGKILL)         # the client's connection is gone
            except ProcessLookupError:
                pass
        remote_json = work_dir / "runs" / run_id / "run.json"
        assert json.loads(remote_json.read_text())["status"] == "running"
        p = cli("attach", run_id)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert f"following run {run_id} on lo1" in p.stdout, p.stdout
        assert json.loads((local / "remote.json").read_text())["copied_back"] is True
        assert json.loads((local / "run.json").read_text())["status"] == "succeeded"
        for rank in (0, 1):
            assert steps_of(local, rank) == list(range(80)), rank   # nothing lost while nobody followed

        # Attaching again: the run is complete here; the local verdict, no connection needed.
        p = cli("attach", run_id, "-q")
        assert p.returncode == 0 and "on lo1" not in p.stdout, (p.stdout, p.stderr)

        # --- detached, and already over when attach comes: copied back at once.
        quick = prj.spec("quick", slow_spec("quick", ranks=1, steps=10, sleep=0.01))
        p = cli("run", quick, "--target", "lo1", "--detach", "-q")
        assert p.returncode == 0, (p.stdout, p.stderr)
        quick_id = started_id(p.stdout)
        remote_json = work_dir / "runs" / quick_id / "run.json"
        deadline = time.time() + 30
        while time.time() < deadline and json.loads(remote_json.read_text())["status"] != "succeeded":
            time.sleep(0.1)
        assert json.loads(remote_json.read_text())["status"] == "succeeded"
        # Its target gone from orrery.json: a clear message, nothing touched.
        settings = (prj.root / "orrery.json").read_text()
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {}}))
        p = cli("attach", quick_id)
        assert p.returncode == 1 and 'lives on target "lo1"' in p.stderr, (p.returncode, p.stdout, p.stderr)
        (prj.root / "orrery.json").write_text(settings)
        # An earlier copy cut short: half of run.h5 already here as .part (resumed from there),
        # and a .part of run.json that begins differently (fetched again from the start).
        remote_dir = work_dir / "runs" / quick_id
        quick_local = prj.run_dir(quick_id)
        h5 = (remote_dir / "run.h5").read_bytes()
        (quick_local / "run.h5.part").write_bytes(h5[: len(h5) // 2])
        (quick_local / "run.json.part").write_bytes(b"{" + b"x" * 20)
        p = cli("attach", quick_id)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert steps_of(quick_local, 0) == list(range(10))
        assert (quick_local / "run.h5").read_bytes() == h5
        assert (quick_local / "run.json").read_bytes() == (remote_dir / "run.json").read_bytes()
        assert not list(quick_local.rglob("*.part"))
        report = json.loads((quick_local / "remote.json").read_text())["copy_back"]
        remote_files = [f for f in remote_dir.rglob("*") if f.is_file()]
        total = sum(f.stat().st_size for f in remote_files)
        assert report["files"] == len(remote_files) and report["total_bytes"] == total, (report, total)
        assert report["resumed"] == 2, report
        # run.h5's first half did not come again; run.json's rest came after its 21-byte .part,
        # then (the digest did not match) the whole of it.
        json_size = len((remote_dir / "run.json").read_bytes())
        assert report["bytes_sent"] == total - len(h5) // 2 + json_size - 21, (report, total, len(h5), json_size)


if __name__ == "__main__":
    main(test)
