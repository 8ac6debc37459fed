"""The ssh launch's single remote call (launch_ssh's script: work folder, the deployed files'
SHA-256, run.json, agent start, a bounded remote wait) through its three outcomes, against the
real sshd of remote_testbed on 127.0.0.1:
- the target's work_dir is a symlink: the script reports where it resolves and the launch is
  rendered again with that path (the run lives under the real folder);
- a cold target: every file is sent, then the run starts; a warm one: nothing is sent;
- one deployed file changed and one removed on the remote side: exactly those two are sent again
  (from the hashes the script reported), and afterwards the remote copies equal the local ones."""
import hashlib
import json
import os
import re
import subprocess

from e2e_support import BIN, ORRERY, Project, main, env, slow_spec
from remote_testbed import SshTestBed


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test():
    with SshTestBed(addresses=("127.0.0.1",)) as bed:
        prj = Project("remote-fold")
        real = bed.root / "work-real"
        real.mkdir()
        link = bed.root / "work-link"
        os.symlink(real, link)
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {"lo": bed.target(0, work_dir=link)}}))
        spec = prj.spec("quick", slow_spec("quick", ranks=1, steps=3, sleep=0.01))

        def launch():
            p = subprocess.run([ORRERY, "-p", str(prj.root), "run", spec, "--target", "lo"], capture_output=True,
                               text=True, timeout=120, env=bed.env(env()), cwd=bed.root)
            assert p.returncode == 0, (p.stdout, p.stderr)
            run_id = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]
            sent, checked = map(int, re.search(r"deployed: (\d+) of (\d+) files sent", p.stdout).groups())
            where = json.loads((prj.root / "runs" / run_id / "remote.json").read_text())
            assert where["remote_run_dir"] == f"{real}/runs/{run_id}", where
            assert where["copied_back"] is True, where
            assert json.loads((prj.root / "runs" / run_id / "run.json").read_text())["status"] == "succeeded"
            assert (prj.root / "runs" / run_id / "run.h5").exists()
            return sent, checked

        sent, checked = launch()
        assert checked >= 2 and sent == checked, (sent, checked)          # cold: everything sent
        assert launch() == (0, checked)                                   # warm: nothing sent

        with open(real / "bin" / "orrery-rank", "ab") as f:
            f.write(b"\0")
        (real / "bin" / "orrery-agent").unlink()
        assert launch() == (2, checked)                                   # exactly the changed and the missing one
        for name in ("orrery-agent", "orrery-rank"):
            assert sha256(real / "bin" / name) == sha256(BIN / name), name
            assert os.access(real / "bin" / name, os.X_OK), name


if __name__ == "__main__":
    main(test)
