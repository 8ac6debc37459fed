"""How long a target check takes: what the cluster panel's "Test connection" and its
background refresh cost (the panel runs remote::check_target, the same function that
`orrery targets test NAME` prints; this script times the CLI).

Starts the test beds of tests/e2e (a real sshd on 127.0.0.1, a real single-node Slurm) and
times, REPEAT times each:
  ssh cold    no control master (a fresh XDG_RUNTIME_DIR): connect + authenticate, uname,
              mpirun --version, work folder, sha256sum of the deployed agent;
  ssh warm    the master of the previous call is up (the background refresh's case);
  slurm local sinfo --version, sinfo, squeue --me on this machine;
  slurm via   the same three over the warm ssh connection.
Prints the median and the range in ms. Daemons are stopped by PID at the end (the beds).

    ORRERY_BIN_DIR=<build>/bin /usr/bin/python3 bench/cluster_check/check_bench.py --repeat 5
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from e2e_support import ORRERY, Project, env  # noqa: E402
from remote_testbed import SshTestBed  # noqa: E402
from slurm_testbed import PARTITION, SlurmTestBed  # noqa: E402


def timed(project, target, e):
    t0 = time.perf_counter()
    p = subprocess.run([ORRERY, "-p", str(project.root), "targets", "test", target], capture_output=True, text=True,
                       timeout=120, env=e)
    ms = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        raise SystemExit(f"orrery targets test {target} failed:\n{p.stdout}{p.stderr}")
    return ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with SlurmTestBed() as slurm, SshTestBed(addresses=("127.0.0.1",),
                                             sshd_config=(f"SetEnv SLURM_CONF={slurm.conf}",)) as ssh:
        prj = Project("cluster-check-bench")
        (prj.root / "orrery.json").write_text(json.dumps({"targets": {
            "lo": ssh.target(0),
            "cluster": {"type": "slurm", "partition": PARTITION},
            "login": {"type": "slurm", "partition": PARTITION, "via": "lo"},
        }}))
        base = slurm.env(ssh.env(env()))
        times = {"ssh cold": [], "ssh warm": [], "slurm local": [], "slurm via ssh (warm)": []}
        for _ in range(args.repeat):
            # A fresh socket folder: no control master to reuse. The master it starts is ended by the bed.
            cold = dict(base)
            cold["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="xdg-", dir=ssh.runtime_dir)
            times["ssh cold"].append(timed(prj, "lo", cold))
            times["ssh warm"].append(timed(prj, "lo", cold))
            times["slurm local"].append(timed(prj, "cluster", base))
            times["slurm via ssh (warm)"].append(timed(prj, "login", cold))
        load = os.getloadavg()
        print(f"orrery targets test, {args.repeat} runs each (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
              f"{os.cpu_count()} CPUs)")
        for name, ms in times.items():
            print(f"  {name:22s} median {statistics.median(ms):6.0f} ms  (min {min(ms):5.0f}, max {max(ms):5.0f})")


if __name__ == "__main__":
    main()
