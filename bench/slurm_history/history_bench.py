"""What asking Slurm for a purged job costs, by source (core/remote/slurm_job_history.hpp).

For each bed of tests/e2e/slurm_testbed.py with MinJobAge=2 -- the default one (no
accounting: the jobcomp/filetxt file answers) and the one with MariaDB and slurmdbd (sacct
answers) -- this script measures the bed's start-up, how long slurmctld keeps a finished job,
and then REPEAT times each:
  scontrol show job   of a live (held) job: what a poll costs while Slurm keeps the job;
  scontrol show config   read once per SlurmCommands to know the sources;
  sacct -j (accounting bed) / grep -F of the jobcomp file: the look-up of a purged job;
  orrery attach   of a run whose job was purged (CLI process included; the run succeeded).
Prints medians and ranges in ms. Daemons are stopped by PID at the end (the beds).

    ORRERY_BIN_DIR=<build>/bin /usr/bin/python3 bench/slurm_history/history_bench.py --repeat 10
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from e2e_support import Project, slow_spec  # noqa: E402
from slurm_purged_runs import submitted, wait_purged  # noqa: E402
from slurm_testbed import OrreryOnSlurm, SlurmTestBed  # noqa: E402


def ms_of(fn, repeat):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure(accounting, repeat):
    t0 = time.perf_counter()
    with SlurmTestBed(accounting=accounting, min_job_age=2) as bed:
        rows = {"bed start-up": [(time.perf_counter() - t0) * 1000]}
        prj = Project("slurm-history-bench")
        on = OrreryOnSlurm(bed, prj, {"cluster": {}})
        quick = prj.spec("quick", slow_spec("quick", ranks=1, steps=3, sleep=0.01))
        t1 = time.perf_counter()
        run_id, job = submitted(on.cli("run", quick, "--target", "cluster", "--detach"))
        wait_purged(bed, [job])
        rows["submit -> purged by slurmctld"] = [(time.perf_counter() - t1) * 1000]
        held = bed.run("sbatch", "--parsable", "--hold", "--wrap", "true", f"--output={bed.root}/held-%j.out").stdout.strip()

        def check(argv):
            p = bed.run(*argv, check=False)
            assert p.returncode == 0 and p.stdout, (argv, p.stdout, p.stderr)

        rows["scontrol show job (live)"] = ms_of(lambda: check(["scontrol", "show", "job", "-o", held]), repeat)
        rows["scontrol show config"] = ms_of(lambda: check(["scontrol", "show", "config"]), repeat)
        if accounting:
            rows["sacct -j (purged)"] = ms_of(
                lambda: check(["sacct", "-j", job, "-X", "-n", "-P", "-o", "JobID,State,ExitCode,Reason,NodeList"]), repeat)
        else:
            rows["grep -F jobcomp file (purged)"] = ms_of(
                lambda: check(["grep", "-F", "-e", f"JobId={job} ", "--", str(bed.jobcomp)]), repeat)

        def attach():
            p = on.cli("attach", run_id)
            source = "sacct" if accounting else "jobcomp/filetxt"
            assert p.returncode == 0 and f"slurm job {job}: COMPLETED [{source}]" in p.stdout, (p.stdout, p.stderr)

        rows["orrery attach (purged)"] = ms_of(attach, repeat)
        bed.run("scancel", held)
        return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    for accounting in (False, True):
        rows = measure(accounting, args.repeat)
        load = os.getloadavg()
        print(f"{'with accounting (sacct)' if accounting else 'without accounting (jobcomp/filetxt)'}, "
              f"{args.repeat} runs each (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, {os.cpu_count()} CPUs)")
        for name, ms in rows.items():
            if len(ms) == 1:
                print(f"  {name:32s} {ms[0]:8.0f} ms")
            else:
                print(f"  {name:32s} median {statistics.median(ms):6.0f} ms  (min {min(ms):5.0f}, max {max(ms):5.0f})")


if __name__ == "__main__":
    main()
