"""The runs browser asks Slurm once per target per round, however many jobs are open, against a
real single-node Slurm (slurm_testbed). A 4-point sweep goes to a target whose sbatch lines hold
the job (one job array J, tasks J_0..J_3 PENDING, JobHeldUser): J_0 is released (RUNNING), J_1
released and cancelled while it runs (CANCELLED), J_2 and J_3 left held; one more run on the
plain target COMPLETES. All are submitted with --detach, so slurm.json holds no state and only
the browser asks Slurm. Then the browser's widget test (gui_runs_test_runs_slurm slurmStates,
offscreen) opens the project with wrappers for squeue and scontrol first on PATH that log each
call's argv and pass it on to Slurm's own: every run must show its state and its run's status,
and the log must hold one state call per target and round (squeue --jobs naming all the open
jobs of that target, no `scontrol show job`), the first round naming all five jobs (the array's
four in one call), the last only the three still open. Last, `orrery cancel` of J_2's run: a
task cancelled while held (J_3 still held) leaves no record in Slurm, and the run is cancelled."""
import json
import shutil
import subprocess
import time

from e2e_support import BIN, PYTHON, WORKERS, Project, env, main, slow_spec
from slurm_testbed import NODE, OrreryOnSlurm, SlurmTestBed

WIDGET_TEST = BIN / "gui_runs_test_runs_slurm"


def wrappers(folder, log):
    """squeue and scontrol on PATH that log their argv (one line: time, then NUL-free words) and exec Slurm's."""
    folder.mkdir()
    for name in ("squeue", "scontrol"):
        real = shutil.which(name)
        assert real, f"{name} is not installed"
        w = folder / name
        w.write_text(f'#!/bin/sh\nprintf "%s {name}" "$(date +%s.%N)" >> "{log}"\n'
                     f'for a in "$@"; do printf " %s" "$a" >> "{log}"; done\necho >> "{log}"\nexec "{real}" "$@"\n')
        w.chmod(0o755)


def task_ids(spec):
    """ArrayTaskId as scontrol prints it: "1", or the pending tasks of a meta record "2-3,5"."""
    out = set()
    for part in filter(None, spec.split("%")[0].split(",")):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def job_state(bed, job):
    """JobState of a job or array task "J_T" as `scontrol show job -o J` prints it (pending tasks
    share their array's meta record; one cancelled while pending is found nowhere)."""
    array, _, task = job.partition("_")
    p = bed.run("scontrol", "show", "job", "-o", array, check=False)
    for line in p.stdout.splitlines():
        words = dict(w.split("=", 1) for w in line.split() if "=" in w)
        if not task or int(task) in task_ids(words.get("ArrayTaskId", "")):
            return words.get("JobState")
    return None


def wait_state(bed, job, state, timeout=30):
    deadline = time.time() + timeout
    while job_state(bed, job) != state:
        assert time.time() < deadline, f"job {job} is {job_state(bed, job)}, not {state}:\n" + bed.daemon_logs()
        time.sleep(0.1)


def test():
    assert WIDGET_TEST.exists(), f"{WIDGET_TEST} is not built"
    with SlurmTestBed() as bed:
        prj = Project("runs-slurm-rounds")
        on = OrreryOnSlurm(bed, prj, {"held": {"extra_sbatch": ["--hold"], "time": "00:05:00"},
                                      "cluster": {"time": "00:05:00"}})
        spec = prj.spec("array", slow_spec("array", ranks=1, steps=3000, sleep=0.02))
        worker = f"{PYTHON} -u {WORKERS / 'slow_worker.py'} --sleep 0.02 --steps"
        p = on.cli("run", spec, "--target", "held", "--detach", "--sweep",
                   f"argv={worker} 3000; {worker} 3001; {worker} 3002; {worker} 3003")
        assert p.returncode == 0, (p.stdout, p.stderr)
        submitted = [l.split() for l in p.stdout.splitlines() if " submitted: " in l]
        assert len(submitted) == 4, p.stdout
        runs, jobs = [w[1] for w in submitted], [w[-1] for w in submitted]
        array = jobs[0].split("_")[0]
        assert jobs == [f"{array}_{i}" for i in range(4)], jobs
        quick = prj.spec("quick", slow_spec("quick", ranks=1, steps=3, sleep=0.01))
        p = on.cli("run", quick, "--target", "cluster", "--detach")
        assert p.returncode == 0, (p.stdout, p.stderr)
        quick_run, quick_job = p.stdout.split("run ", 1)[1].split()[0], p.stdout.split("as slurm job ", 1)[1].split()[0]

        # A task cancelled while held leaves no record at all in slurmctld: J_1 is cancelled running.
        bed.run("scontrol", "release", jobs[0])
        bed.run("scontrol", "release", jobs[1])
        wait_state(bed, jobs[0], "RUNNING")
        wait_state(bed, jobs[1], "RUNNING")
        prj.wait_for(runs[1], lambda r: r["status"] == "running", 30, "task 1's run running")
        bed.run("scancel", jobs[1])
        wait_state(bed, jobs[1], "CANCELLED")
        # The agent's verdict (its own business, e2e.test_slurm_cancel's subject): the browser must show it.
        cancelled = prj.wait_for(runs[1], lambda r: r["status"] in ("cancelled", "failed"), 30, "task 1's verdict")
        print(f"task 1's run after scancel: {cancelled['status']}: {cancelled['reason'][:300]}")
        wait_state(bed, quick_job, "COMPLETED")
        assert job_state(bed, jobs[2]) == job_state(bed, jobs[3]) == "PENDING"
        prj.wait_for(runs[0], lambda r: r["status"] == "running", 30, "the released task's run running")
        prj.wait_for(quick_run, lambda r: r["status"] == "succeeded", 30, "the quick run succeeded")
        for rid in runs + [quick_run]:
            assert json.loads((prj.run_dir(rid) / "slurm.json").read_text())["state"] == "", "asked before the browser"

        log = prj.root.parent / "slurm-calls.log"
        wrappers(prj.root.parent / "wrappers", log)
        e = on.env.copy()
        e.update({"PATH": f"{prj.root.parent / 'wrappers'}:{e['PATH']}", "QT_QPA_PLATFORM": "offscreen",
                  "ORRERY_RUNS_SLURM_PROJECT": str(prj.root),
                  "ORRERY_RUNS_SLURM_STATES": f"{runs[0]}|RUNNING on {NODE}|running,{runs[1]}|CANCELLED|{cancelled['status']},"
                                              f"{runs[2]}|PENDING (JobHeldUser)|starting,"
                                              f"{runs[3]}|PENDING (JobHeldUser)|starting,{quick_run}|COMPLETED|succeeded"})
        started = time.monotonic()
        w = subprocess.run([str(WIDGET_TEST), "slurmStates"], capture_output=True, text=True, timeout=120, env=e)
        out = w.stdout + w.stderr
        assert w.returncode == 0, out
        assert "PASS   : RunsSlurmTest::slurmStates()" in out and "panel closed" in out, out   # ran, not skipped
        print("\n".join(line for line in out.splitlines() if line.startswith("browser shows")))
        print(f"timing widget test (5 states seen, then 5 s more): {time.monotonic() - started:.1f} s")

        calls = [line.split() for line in log.read_text().splitlines()]
        print("\n".join(" ".join(c) for c in calls))
        assert not [c for c in calls if c[1] == "scontrol" and "job" in c[2:4]], calls   # no call per job
        states = [c for c in calls if c[1] == "squeue"]
        asked = [set(next(a for a in c if a.startswith("--jobs=")).split("=", 1)[1].split(",")) for c in states]
        # Rounds are 2 s apart; the calls of one round follow each other at once.
        rounds = []
        for c, a in zip(states, asked):
            if rounds and float(c[0]) - rounds[-1][-1][0] < 1.0:
                rounds[-1].append((float(c[0]), a))
            else:
                rounds.append([(float(c[0]), a)])
        target_of = dict({j: "held" for j in jobs}, **{quick_job: "cluster"})
        for r in rounds:
            targets = [{target_of[j] for j in a} for _, a in r]
            assert all(len(t) == 1 for t in targets), r                # a call names the jobs of one target
            assert len({min(t) for t in targets}) == len(r), r         # one call per target and round
            assert {jobs[0], jobs[2], jobs[3]} <= set().union(*(a for _, a in r)), r   # the open ones, every round
        assert len(rounds) >= 3, rounds   # at least 2 more rounds in the 5 s after the last state was seen
        assert set().union(*(a for _, a in rounds[0])) == set(jobs + [quick_job]), rounds[0]
        assert [a for _, a in rounds[-1]] == [{jobs[0], jobs[2], jobs[3]}], rounds[-1]   # the ended ones no longer
        for c in states:
            assert c[3:] == ["--states=all", "--array", "--noheader",
                             "--Format=JobArrayID:|,State:|,Reason:|,NodeList:|,exit_code:|"], c
        assert json.loads((prj.run_dir(runs[1]) / "slurm.json").read_text())["state"] == "CANCELLED"
        assert json.loads((prj.run_dir(runs[2]) / "slurm.json").read_text())["reason"] == "JobHeldUser"
        # A task cancelled while held, with another task of the array still held, leaves no record
        # anywhere (squeue, scontrol, the jobcomp file): after Orrery's own scancel its run is
        # cancelled, not failed as "no longer known".
        p = on.cli("cancel", runs[2])
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert job_state(bed, jobs[2]) is None
        rec = prj.record(runs[2])
        assert rec["status"] == "cancelled" and f"Slurm job {jobs[2]} was cancelled (scancel)" in rec["reason"], rec
        assert json.loads((prj.run_dir(runs[2]) / "slurm.json").read_text())["cancel_requested"] is True
        print(f"{len(rounds)} rounds, one squeue call per target each: jobs asked per call "
              f"{[[len(a) for _, a in r] for r in rounds]}")


if __name__ == "__main__":
    main(test)
