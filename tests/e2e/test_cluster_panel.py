"""The workbench's cluster panel against the real test beds: a real sshd on 127.0.0.1
(remote_testbed) and a real single-node Slurm (slurm_testbed). This script starts both,
submits a job, writes a project whose orrery.json names them, and runs the panel's widget
test (gui_cluster_test_cluster_panel, offscreen) on it: the ssh target reachable with its MPI
version, the Slurm partition and the job in the queue (here and through the ssh target), and two ssh targets whose host key
is not known yet (an empty known_hosts each): one trusted through the panel's question (the
key is then recorded and the check passes), one declined (it stays failed); `orrery targets
test` on the latter prints the same fingerprint and records nothing. The daemons are
stopped by PID whatever happens (the beds' context managers)."""
import json
import subprocess

from e2e_support import BIN, ORRERY, Project, env, main
from remote_testbed import unknown_hosts_file
from slurm_testbed import PARTITION, SlurmTestBed

WIDGET_TEST = BIN / "gui_cluster_test_cluster_panel"


def test():
    assert WIDGET_TEST.exists(), f"{WIDGET_TEST} is not built"
    with SlurmTestBed() as slurm, slurm.login_node() as ssh:
        prj = Project("cluster-panel")
        stranger, refused = (unknown_hosts_file(prj.root, name) for name in ("stranger", "refused"))
        (prj.root / "orrery.json").write_text(json.dumps({"name": "cluster-panel", "targets": {
            "local": {"type": "local"},
            "lo": ssh.target(0),
            "stranger": ssh.target(0, known_hosts_file=str(stranger)),
            "refused": ssh.target(0, known_hosts_file=str(refused)),
            "cluster": {"type": "slurm", "partition": PARTITION},
            "login": {"type": "slurm", "partition": PARTITION, "via": "lo"},
        }}))
        job = slurm.run("sbatch", "--parsable", "--job-name=panel-test", f"--output={slurm.root}/panel-%j.out",
                        "--wrap", "sleep 120").stdout.strip().split(";")[0]
        # The fingerprint the question must show: the bed's own host key, read here from its file.
        fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", str(ssh.servers[0].host_key) + ".pub"],
                                     capture_output=True, text=True, check=True).stdout.split()[1]
        e = slurm.env(ssh.env(env()))
        # The command line says the same of an unknown key: refused, with the fingerprints to compare.
        p = subprocess.run([ORRERY, "-p", str(prj.root), "targets", "test", "refused"], capture_output=True,
                           text=True, timeout=60, env=e)
        assert p.returncode == 1 and "is not known" in p.stdout and f"ssh-ed25519 {fingerprint}" in p.stdout, p.stdout
        assert refused.read_text() == ""
        e.update({"QT_QPA_PLATFORM": "offscreen", "ORRERY_CLUSTER_PROJECT": str(prj.root),
                  "ORRERY_CLUSTER_JOB": job, "ORRERY_CLUSTER_FINGERPRINT": fingerprint})
        p = subprocess.run([str(WIDGET_TEST)], capture_output=True, text=True, timeout=180, env=e)
        out = p.stdout + p.stderr
        assert p.returncode == 0, out
        assert "PASS   : TestClusterPanel::testBeds()" in out, out   # ran, not skipped
        assert "ssh-ed25519" in stranger.read_text() and "ssh-ed25519" not in refused.read_text()


if __name__ == "__main__":
    main(test)
