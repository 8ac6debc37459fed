"""The launch form's Slurm job keepers share one squeue call per tick. A 3-point sweep (1, 2 and
3 s of steps) is submitted from the form (gui_launch_test_launch_remote, its slurmRounds function,
offscreen) to the real single-node Slurm (slurm_testbed) as one job array; each run has its own
keeper, and squeue and scontrol are logging wrappers first on the widget's PATH. Every run must
succeed with its task COMPLETED, and the log must show one squeue call per tick for all the
followed tasks (J_0,J_1,J_2 in the first call; never two calls within one tick; no `scontrol show
job` per task), where keepers asking on their own made one call per task each second. Beside it
the runs browser (gui_runs_test_runs_slurm, its followedByTheForm function) is open on the project
and shows the runs until each succeeded with COMPLETED: its own Slurm calls (logged as "browser")
never name a task while the form follows it (its state is in slurm.json, written by the form's
keepers each second). The daemons are stopped by PID whatever happens."""
import json
import subprocess
import tempfile
from pathlib import Path

from e2e_support import BIN, Project, WORKERS, env, main
from slurm_testbed import PARTITION, SlurmTestBed
from test_runs_slurm_rounds import wrappers

WIDGET_TEST = BIN / "gui_launch_test_launch_remote"
BROWSER_TEST = BIN / "gui_runs_test_runs_slurm"


def test():
    assert WIDGET_TEST.exists() and BROWSER_TEST.exists(), f"{WIDGET_TEST} or {BROWSER_TEST} is not built"
    with SlurmTestBed() as slurm, tempfile.TemporaryDirectory() as scratch:
        log, folder = Path(scratch) / "slurm-calls.log", Path(scratch) / "wrappers"
        wrappers(folder, log)
        prj = Project("launch-rounds")
        (prj.root / "orrery.json").write_text(json.dumps({"name": "launch-rounds", "targets": {
            "local": {"type": "local"},
            "cluster": {"type": "slurm", "partition": PARTITION, "time": "00:05:00", "nodes": 1, "tasks_per_node": 2}}}))
        e = slurm.env(env())
        e.update({"PATH": f"{folder}:{e['PATH']}", "QT_QPA_PLATFORM": "offscreen", "ORRERY_LAUNCH_ROUNDS_PROJECT": str(prj.root),
                  "ORRERY_LAUNCH_REMOTE_WORKER": str(WORKERS / "slow_worker.py")})
        b_env = dict(e, ORRERY_CALL_SIDE="browser", ORRERY_RUNS_FOLLOWED_PROJECT=str(prj.root), ORRERY_RUNS_FOLLOWED_COUNT="3")
        browser = subprocess.Popen([str(BROWSER_TEST), "followedByTheForm"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=b_env)
        try:
            assert browser.stdout.readline().startswith("browser open") or browser.poll() is None
            p = subprocess.run([str(WIDGET_TEST), "slurmRounds"], capture_output=True, text=True, timeout=120,
                               env=dict(e, ORRERY_CALL_SIDE="form"))
            b_out = browser.communicate(timeout=90)[0]
        finally:
            if browser.poll() is None:
                browser.kill()
                browser.wait()
        out = p.stdout + p.stderr
        assert p.returncode == 0, out + slurm.daemon_logs()
        assert browser.returncode == 0 and "PASS   : RunsSlurmTest::followedByTheForm()" in b_out, b_out
        print("\n".join(line for line in b_out.splitlines() if line.startswith("browser shows")))
        assert "PASS   : TestLaunchRemote::slurmRounds()" in out, out   # ran, not skipped
        print("\n".join(line for line in out.splitlines() if line.startswith(("timing", "swept"))))

        ids = out.split("swept cluster runs ")[1].splitlines()[0].split()
        assert len(ids) == 3, ids
        jobs = []
        for run_id in ids:
            run = prj.root / "runs" / run_id
            assert json.loads((run / "run.json").read_text())["status"] == "succeeded"
            job = json.loads((run / "slurm.json").read_text())
            assert job["state"] == "COMPLETED" and job["cancel_requested"] is False, job
            jobs.append(job["job"])
        array = jobs[0].split("_")[0]
        assert sorted(jobs) == [f"{array}_{i}" for i in range(3)], jobs   # one job array, a task per run

        calls = [line.split() for line in log.read_text().splitlines()]
        print("\n".join(" ".join(c) for c in calls))
        assert not [c for c in calls if c[2] == "scontrol" and "job" in c[3:5]], calls   # no call per job
        # The browser asks Slurm only about what nobody else follows: never about a task between the
        # form's first call naming it (+0.5 s: its keeper then writes slurm.json) and the form's last.
        form_asked = {}
        for c in calls:
            if c[1] == "form" and c[2] == "squeue":
                for j in next(a for a in c if a.startswith("--jobs=")).split("=", 1)[1].split(","):
                    first, _ = form_asked.get(j, (float(c[0]), 0.0))
                    form_asked[j] = (first, float(c[0]))
        browser_calls = [c for c in calls if c[1] == "browser"]
        for c in browser_calls:
            for j, (first, last) in form_asked.items():
                assert not (j in " ".join(c[3:]) and first + 0.5 < float(c[0]) <= last), (c, j, first, last)
        print(f"browser: {len(browser_calls)} Slurm calls, none about a task the form followed then")
        calls = [c for c in calls if c[1] == "form"]
        states = [c for c in calls if c[2] == "squeue"]
        asked = [set(next(a for a in c if a.startswith("--jobs=")).split("=", 1)[1].split(",")) for c in states]
        times = [float(c[0]) for c in states]
        assert len(states) >= 3, states   # the 3 s task alone is asked about for 3 s
        assert asked[0] == set(jobs), asked   # the first round asks about every task of the sweep at once
        assert all(a <= set(jobs) for a in asked), asked
        gaps = [b - a for a, b in zip(times, times[1:])]
        # One call per tick (1 s), never a call per keeper: calls of one round would follow each other at once.
        assert min(gaps) > 0.5, (gaps, asked)
        # A task is asked until its keeper saw it end: the longest (J_2) to the last call.
        assert f"{array}_2" in asked[-1], asked
        print(f"{len(states)} squeue calls for 3 keepers over {times[-1] - times[0]:.1f} s, jobs asked per call "
              f"{[len(a) for a in asked]}, gaps {[round(g, 2) for g in gaps]}")


if __name__ == "__main__":
    main(test)
