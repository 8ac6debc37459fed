"""What one round of the runs browser costs in Slurm calls, before and after it asked once per
target (core/remote/slurm_commands.hpp: SlurmCommands::query_all).

On tests/e2e/slurm_testbed.py's single-node Slurm (and its sshd on 127.0.0.1 as the login node,
reached through one multiplexed ssh connection as SshConnection keeps it), a held job array of N
tasks is submitted, then REPEAT times each:
  per task: `scontrol show job -o J_i` for i = 0..N-1, one after another (the old round);
  one call: `squeue --jobs=J_0,...,J_{N-1} --states=all --array --noheader --Format=...` (the new);
both on this machine and through the login node. Prints medians and ranges in ms. The daemons are
stopped by PID at the end (the beds).

    /usr/bin/python3 bench/slurm_rounds/rounds_bench.py --tasks 3 10 30 --repeat 5
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from slurm_testbed import SlurmTestBed  # noqa: E402

FORMAT = "--Format=JobArrayID:|,State:|,Reason:|,NodeList:|,exit_code:|"


def timed(calls, run, repeat):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for argv in calls:
            p = run(argv)
            assert p.returncode == 0, (argv, p.stderr)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def show(label, ms):
    print(f"  {label:<44} median {statistics.median(ms):8.1f} ms  (range {min(ms):.1f}-{max(ms):.1f})", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, nargs="+", default=[3, 10, 30])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with SlurmTestBed() as bed, bed.login_node() as login:
        env = bed.env(os.environ)
        server = login.servers[0]
        control = login.root / "cm-bench"
        ssh = ["ssh", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={login.known_hosts}", "-o",
               "StrictHostKeyChecking=yes", "-i", str(login.identity), "-p", str(server.port), "-l", login.user,
               "-o", "ControlMaster=auto", "-o", f"ControlPath={control}", "-o", "ControlPersist=60", "--",
               server.address]

        def local(argv):
            return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)

        def through_login(argv):   # each word quoted for the remote shell, as SshConnection does
            return subprocess.run(ssh + [" ".join(shlex.quote(a) for a in argv)], capture_output=True, text=True,
                                  timeout=60)

        through_login(["true"])   # the master connection, opened once as SshConnection does
        for n in args.tasks:
            job = bed.run("sbatch", "--parsable", "--hold", f"--array=0-{n - 1}", f"--output={bed.root}/b-%A_%a.out",
                          "--wrap", "true").stdout.strip().split(";")[0]
            tasks = [f"{job}_{i}" for i in range(n)]
            per_task = [["scontrol", "show", "job", "-o", t] for t in tasks]
            one = [["squeue", f"--jobs={','.join(tasks)}", "--states=all", "--array", "--noheader", FORMAT]]
            lines = local(one[0]).stdout.splitlines()
            assert len(lines) == n, lines
            print(f"array of {n} held tasks:")
            show(f"this machine, {n} x scontrol show job", timed(per_task, local, args.repeat))
            show("this machine, 1 x squeue --jobs", timed(one, local, args.repeat))
            show(f"login node (ssh master), {n} x scontrol show job", timed(per_task, through_login, args.repeat))
            show("login node (ssh master), 1 x squeue --jobs", timed(one, through_login, args.repeat))
            bed.run("scancel", job)
        subprocess.run(["ssh", "-o", f"ControlPath={control}", "-O", "exit", server.address], capture_output=True)


if __name__ == "__main__":
    main()
