"""Ctrl-C in a terminal while `orrery run` follows a run asks what to do; answering `c` cancels it."""
import os
import pty
import select
import time

from e2e_support import ORRERY, Project, env, main, slow_spec, wait_no_processes, describe_pids


def read_until(fd, needle, timeout):
    buf = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if needle in buf:
                return buf
    raise AssertionError(f"did not see {needle!r}; got:\n{buf.decode(errors='replace')}")


def test():
    prj = Project("ctrlc")
    spec = prj.spec("slow", slow_spec("slow", ranks=2, steps=100000, sleep=0.02))
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(ORRERY, [ORRERY, "-p", str(prj.root), "run", str(spec)], env())
    out = read_until(fd, b"loss=", 60)
    run_id = [l.split()[1] for l in out.decode(errors="replace").splitlines() if l.startswith("run ")][0]
    os.write(fd, b"\x03")   # the terminal turns this into SIGINT for the foreground process
    read_until(fd, b"[c] cancel the run", 20)
    os.write(fd, b"c\n")
    out = read_until(fd, b"cancelled", 60)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 3, (status, out)
    assert prj.record(run_id)["status"] == "cancelled"
    left = wait_no_processes(prj.run_dir(run_id), 5)
    assert not left, describe_pids(left)


if __name__ == "__main__":
    main(test)
