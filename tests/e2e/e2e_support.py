"""Shared helpers for Orrery's end-to-end tests: a fresh project, the real CLI,
real agents and mpirun ranks, and process checks. Each test file is one CTest test."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(os.environ.get("ORRERY_BIN_DIR", Path(__file__).resolve().parents[2] / "build" / "bin"))
SHARE = Path(os.environ.get("ORRERY_SHARE_DIR", BIN.parent / "share" / "orrery"))
SOURCE = Path(os.environ.get("ORRERY_SOURCE_DIR", Path(__file__).resolve().parents[2]))
ORRERY = str(BIN / "orrery")
PYTHON = "/usr/bin/python3"
WORKERS = Path(__file__).resolve().parent / "workers"

sys.path.insert(0, str(Path(__file__).resolve().parent))


def env():
    e = dict(os.environ)
    if os.geteuid() == 0:
        e["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        e["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    e["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    return e


class Project:
    def __init__(self, name="e2e"):
        self._tmp = tempfile.TemporaryDirectory(prefix=f"orrery-{name}-")
        self.root = Path(self._tmp.name) / "project"
        self.root.mkdir()
        (self.root / "orrery.json").write_text(json.dumps({"name": name, "targets": {"local": {"type": "local"}}}))
        import atexit
        atexit.register(self.stop_all_runs)

    def stop_all_runs(self):
        """A failed test must not leave a run going (its folder is about to be deleted):
        SIGKILL every agent still alive, which takes its ranks down with it."""
        for run_json in (self.root / "runs").glob("*/run.json"):
            try:
                rec = json.loads(run_json.read_text())
                pid = rec.get("agent", {}).get("pid", 0)
                if pid and rec["status"] not in ("succeeded", "failed", "cancelled"):
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, KeyError):
                pass
            left = wait_no_processes(run_json.parent, 10)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def spec(self, name, spec):
        path = self.root / f"{name}.json"
        path.write_text(json.dumps(spec))
        return path

    def cli(self, *args, timeout=180, check=None, input=None):
        p = subprocess.run([ORRERY, "-p", str(self.root), *map(str, args)], capture_output=True, text=True,
                           timeout=timeout, env=env(), input=input)
        if check is not None and p.returncode != check:
            raise AssertionError(f"orrery {' '.join(map(str, args))} exited {p.returncode}, expected {check}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def start_detached(self, spec_path, *extra):
        p = self.cli("run", spec_path, "--detach", *extra, check=0)
        for line in p.stdout.splitlines():
            if line.startswith("run ") and " started" in line:
                return line.split()[1]
        raise AssertionError(f"no run id in: {p.stdout}")

    def run_dir(self, run_id):
        return self.root / "runs" / run_id

    def record(self, run_id):
        return json.loads((self.run_dir(run_id) / "run.json").read_text())

    def wait_for(self, run_id, predicate, timeout=60, what="condition"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.record(run_id)
                if predicate(last):
                    return last
            except (json.JSONDecodeError, FileNotFoundError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; last run.json: {json.dumps(last, indent=1)}")

    def wait_final(self, run_id, timeout=90):
        return self.wait_for(run_id, lambda r: r["status"] in ("succeeded", "failed", "cancelled", "lost"),
                             timeout, "a final status")

    def expect_worker_refusals(self, started, timeout=120, via_show=False):
        """Each (run_id, message) of runs started side by side must fail with exit code 2 and
        the worker's message in the failure record's log tail (and `orrery show` when asked)."""
        for run_id, message in started:
            rec = self.wait_final(run_id, timeout)
            assert rec["status"] == "failed", (message, rec["status"], rec.get("reason"))
            tail = "\n".join(rec["failure"]["log_tail"])
            assert message in tail, (message, json.dumps(rec["failure"], indent=1))
            assert rec["failure"]["exit_code"] == 2, rec["failure"]
            if via_show:
                shown = self.cli("show", run_id).stdout
                assert message in shown, (message, shown)
            print(f"refused: {message}")

    def logs(self, run_id):
        d = self.run_dir(run_id) / "logs"
        return "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')}" for f in sorted(d.glob("*.log")))


def processes_of_run(run_dir):
    """Pids of every process that belongs to a run: mpirun, orrery-rank, workers (by their environment)."""
    needle = f"ORRERY_RUN_DIR={run_dir}".encode()
    agent_needle = str(run_dir).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except (OSError, PermissionError):
            continue
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            continue
        if needle in environ.split(b"\0") or agent_needle in cmdline:
            pids.append(int(entry.name))
    return pids


def wait_no_processes(run_dir, timeout):
    deadline = time.time() + timeout
    left = processes_of_run(run_dir)
    while left and time.time() < deadline:
        time.sleep(0.1)
        left = processes_of_run(run_dir)
    return left


def describe_pids(pids):
    out = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            out.append(f"{pid}: {cmd}")
        except OSError:
            out.append(f"{pid}: (gone)")
    return "\n".join(out)


def worker_pid(run_dir, rank):
    """The pid of rank `rank`'s worker (the process orrery-rank started, with ORRERY_RANK set)."""
    for pid in processes_of_run(run_dir):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if f"ORRERY_RANK={rank}".encode() in environ and b"orrery-rank" not in cmdline and b"mpirun" not in cmdline:
            return pid
    return None


def slow_spec(name, ranks=2, steps=600, sleep=0.05, extra=()):
    return {"kind": "command", "name": name, "ranks": ranks,
            "params": {"argv": [PYTHON, "-u", str(WORKERS / "slow_worker.py"), "--steps", str(steps),
                                "--sleep", str(sleep), *extra]}}


def main(test):
    """Runs one test function; prints a verdict line; exit code tells CTest."""
    try:
        test()
    except Exception:
        import traceback
        traceback.print_exc()
        print("FAILED")
        sys.exit(1)
    print("PASSED")
