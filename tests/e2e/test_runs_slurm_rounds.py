"""The runs browser asks Slurm once per target per round, however many jobs are open, against a
real single-node Slurm (slurm_testbed) and an sshd on 127.0.0.1 as its login node. A 4-point sweep
goes to a target whose sbatch lines hold the job (one job array J, tasks J_0..J_3 PENDING,
JobHeldUser): J_0 is released (RUNNING), J_1 released and cancelled while it runs (CANCELLED),
J_2 and J_3 left held; one more run on the plain target COMPLETES; a 2-point sweep goes to the
held target through the login node (K_0, K_1 held). All are submitted with --detach, so
slurm.json holds no state and only the browser asks Slurm. Then the browser's widget test
(gui_runs_test_runs_slurm slurmStates, offscreen) opens the project with wrappers for squeue and
scontrol first on PATH, here and in the login node's ssh sessions (its sshd's SetEnv), that log
each call's argv and side and pass it on to Slurm's own: every run must show its state and its
run's status, and the log must hold one state call per target and round (squeue --jobs naming
all the open jobs of that target; K_0,K_1 in one call on the login node; no `scontrol show
job`), the first round naming all seven jobs, the last only the five still open. Last, `orrery
cancel` of J_2's run: a task cancelled while held (J_3 still held) leaves no record in Slurm, and
the run is cancelled."""
import atexit
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from e2e_support import BIN, PYTHON, WORKERS, Project, main, slow_spec
from remote_testbed import SshTestBed
from slurm_testbed import NODE, PARTITION, OrreryOnSlurm, SlurmTestBed

WIDGET_TEST = BIN / "gui_runs_test_runs_slurm"


def wrappers(folder, log):
    """squeue and scontrol on PATH that log their argv (one line: time, side, command, words) and
    exec Slurm's; the side is "login" in the login node's ssh sessions (its sshd sets it), else "here"."""
    folder.mkdir()
    for name in ("squeue", "scontrol"):
        real = shutil.which(name)
        assert real, f"{name} is not installed"
        w = folder / name
        w.write_text(f'#!/bin/sh\nprintf "%s %s {name}" "$(date +%s.%N)" "${{ORRERY_CALL_SIDE:-here}}" >> "{log}"\n'
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
    scratch = Path(tempfile.mkdtemp(prefix="orr-rounds-", dir="/tmp"))   # short: ssh control sockets live under it
    atexit.register(shutil.rmtree, scratch, True)
    log, folder = scratch / "slurm-calls.log", scratch / "wrappers"
    wrappers(folder, log)
    with SlurmTestBed() as bed, SshTestBed(addresses=("127.0.0.1",), sshd_config=(
            f"SetEnv SLURM_CONF={bed.conf} ORRERY_CALL_SIDE=login PATH={folder}:/usr/local/bin:/usr/bin:/bin",)) as login:
        prj = Project("runs-slurm-rounds")
        on = OrreryOnSlurm(bed, prj, {})
        held = {"type": "slurm", "partition": PARTITION, "extra_sbatch": ["--hold"], "time": "00:05:00"}
        (prj.root / "orrery.json").write_text(json.dumps({"name": "rounds", "targets": {
            "held": held, "cluster": {"type": "slurm", "partition": PARTITION, "time": "00:05:00"},
            "viaheld": dict(held, via="login"), "login": login.target(0, work_dir=str(scratch / "login-work"))}}))
        on.env = login.env(on.env)
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
        # Through the login node, held: a 2-task array.
        p = on.cli("run", spec, "--target", "viaheld", "--detach", "--sweep", f"argv={worker} 10; {worker} 11")
        assert p.returncode == 0, (p.stdout, p.stderr)
        via = [l.split() for l in p.stdout.splitlines() if " submitted: " in l]
        via_runs, via_jobs = [w[1] for w in via], [w[-1] for w in via]
        assert len(via_jobs) == 2, p.stdout

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
        assert {job_state(bed, j) for j in [jobs[2], jobs[3]] + via_jobs} == {"PENDING"}
        prj.wait_for(runs[0], lambda r: r["status"] == "running", 30, "the released task's run running")
        prj.wait_for(quick_run, lambda r: r["status"] == "succeeded", 30, "the quick run succeeded")
        for rid in runs + [quick_run] + via_runs:
            assert json.loads((prj.run_dir(rid) / "slurm.json").read_text())["state"] == "", "asked before the browser"

        log.write_text("")   # what the CLI's submission through the login node asked is not the browser's
        e = on.env.copy()
        e.update({"PATH": f"{folder}:{e['PATH']}", "QT_QPA_PLATFORM": "offscreen",
                  "ORRERY_RUNS_SLURM_PROJECT": str(prj.root),
                  "ORRERY_RUNS_SLURM_STATES": f"{runs[0]}|RUNNING on {NODE}|running,{runs[1]}|CANCELLED|{cancelled['status']},"
                                              f"{runs[2]}|PENDING (JobHeldUser)|starting,"
                                              f"{runs[3]}|PENDING (JobHeldUser)|starting,{quick_run}|COMPLETED|succeeded,"
                                              + ",".join(f"{r}|PENDING (JobHeldUser)|starting" for r in via_runs)})
        started = time.monotonic()
        w = subprocess.run([str(WIDGET_TEST), "slurmStates"], capture_output=True, text=True, timeout=120, env=e)
        out = w.stdout + w.stderr
        assert w.returncode == 0, out
        assert "PASS   : RunsSlurmTest::slurmStates()" in out and "panel closed" in out, out   # ran, not skipped
        print("\n".join(line for line in out.splitlines() if line.startswith("browser shows")))
        print(f"timing widget test (7 states seen, then 5 s more): {time.monotonic() - started:.1f} s")

        calls = [line.split() for line in log.read_text().splitlines()]
        print("\n".join(" ".join(c) for c in calls))
        assert not [c for c in calls if c[2] == "scontrol" and "job" in c[3:5]], calls   # no call per job
        states = [c for c in calls if c[2] == "squeue"]
        asked = [set(next(a for a in c if a.startswith("--jobs=")).split("=", 1)[1].split(",")) for c in states]
        # Rounds are 2 s apart; the calls of one round follow each other at once.
        rounds = []
        for c, a in zip(states, asked):
            if rounds and float(c[0]) - rounds[-1][-1][0] < 1.0:
                rounds[-1].append((float(c[0]), a))
            else:
                rounds.append([(float(c[0]), a)])
        target_of = dict({j: "held" for j in jobs}, **{quick_job: "cluster"}, **{j: "viaheld" for j in via_jobs})
        for c, a in zip(states, asked):   # the login node's Slurm is asked there, in one ssh session for both
            assert (c[1] == "login") == (a == set(via_jobs)), (c, a)
        for r in rounds:
            targets = [{target_of[j] for j in a} for _, a in r]
            assert all(len(t) == 1 for t in targets), r                # a call names the jobs of one target
            assert len({min(t) for t in targets}) == len(r), r         # one call per target and round
            assert {jobs[0], jobs[2], jobs[3], *via_jobs} <= set().union(*(a for _, a in r)), r   # open ones, every round
        assert len(rounds) >= 3, rounds   # at least 2 more rounds in the 5 s after the last state was seen
        assert set().union(*(a for _, a in rounds[0])) == set(jobs + [quick_job] + via_jobs), rounds[0]
        assert sorted(sorted(a) for _, a in rounds[-1]) == sorted([sorted({jobs[0], jobs[2], jobs[3]}), sorted(via_jobs)]), \
            rounds[-1]   # the ended ones no longer
        for c in states:
            assert c[4:] == ["--states=all", "--array", "--noheader",
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
