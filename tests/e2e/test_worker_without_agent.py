"""A worker started by hand, without an agent, still runs: the runtime says so once and writes nothing."""
import os
import subprocess
import tempfile

from e2e_support import BIN, env, main


def test():
    with tempfile.TemporaryDirectory() as cwd:
        e = env()
        e.pop("ORRERY_TELEMETRY", None)
        args = ["mpirun", "-np", "2", "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
        p = subprocess.run(args + [str(BIN / "orrery-allreduce-bench"), "--max_bytes=4096", "--iterations=5"],
                           capture_output=True, text=True, timeout=120, env=e, cwd=cwd)
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert p.stderr.count("no agent") == 1, p.stderr
        assert "4096" in p.stdout, p.stdout
        assert os.listdir(cwd) == [], os.listdir(cwd)


if __name__ == "__main__":
    main(test)
