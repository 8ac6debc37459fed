"""gpt-train end to end, on-demand checkpoints and resuming on other rank counts: a run on
4 ranks (interval 100) is asked `orrery checkpoint RUN --wait 60` mid-run (it returns with the
saved file's path); the agent publishes the
request, rank 0 polls it between steps and all ranks save at the same step boundary, so a
step-N.h5 appears with N not a multiple of 100. That checkpoint (saved on 4 ranks) resumes
on 2 and on 1 rank for 8 steps and continues the 4-rank run's losses within float
reduction order. A finished (here cancelled) run refuses the request."""
import re
import time

import h5py

from e2e_support import Project, main
from gpt_train_support import TINY, finish, max_difference, series, start, write_corpus

INTERVAL, STEPS, COMPARED = 100, 2000, 8  # the run is cancelled once the compared steps are done


def test():
    prj = Project("gptckptnow")
    params = dict(TINY, corpus=write_corpus(prj.root), steps=STEPS, val_interval=INTERVAL,
                  checkpoint_interval=INTERVAL)
    a = start(prj, "a", params, 4)
    prj.wait_for(a, lambda r: r["status"] == "running" and r.get("progress", {}).get("done", 0) >= 3, 60,
                 "step 3 of the 4-rank run")
    p = prj.cli("checkpoint", a, "--wait", "60", check=0)
    assert "checkpoint requested" in p.stdout, p.stdout
    ckpts = prj.run_dir(a) / "checkpoints"
    # --wait returned once the worker said it saved: the file is there, named in the output.
    saved = re.search(r"checkpoint saved: (\S+)", p.stdout)
    assert saved and (ckpts / saved.group(1).rsplit("/", 1)[-1]).exists(), p.stdout

    def on_demand():
        steps = [int(m.group(1)) for f in ckpts.iterdir() if (m := re.fullmatch(r"step-(\d+)\.h5", f.name))]
        return [s for s in steps if s % INTERVAL != 0]

    deadline = time.time() + 30
    while not on_demand() and time.time() < deadline and prj.record(a)["status"] == "running":
        time.sleep(0.05)
    (k,) = on_demand()
    print(f"on-demand checkpoint at step {k} (interval {INTERVAL})")
    prj.wait_for(a, lambda r: r["progress"]["done"] >= k + COMPARED, 60, f"step {k + COMPARED}")
    prj.cli("cancel", a, check=0)
    finish(prj, a, expect="cancelled")
    assert 3 <= k < STEPS and on_demand() == [k], (k, on_demand())
    on_demand_path = ckpts / f"step-{k:07d}.h5"
    with h5py.File(on_demand_path, "r") as f:
        assert f.attrs["step"] == k and f.attrs["ranks"] == 4 and f.attrs["adam_t"] == k
        assert f.attrs["loader_position"] == k * TINY["batch_size"]
        assert f["params/wte.weight"].attrs["fragments"].shape == (4, 3)

    resume = dict(params, resume=str(on_demand_path), stop_at_step=k + COMPARED)
    b = start(prj, "b", resume, 2)
    c = start(prj, "c", resume, 1)
    finish(prj, b)
    finish(prj, c)
    full = series(prj, a, "train_loss")
    for run, ranks in ((b, 2), (c, 1)):
        resumed = series(prj, run, "train_loss")
        assert sorted(resumed) == list(range(k, k + COMPARED)), resumed
        diff = max_difference(full, resumed, range(k, k + COMPARED))
        print(f"saved on 4 ranks, resumed on {ranks}: max train loss difference {diff:.2e} over steps {k}..{k + COMPARED - 1}")
        assert diff < 1e-3, diff

    p = prj.cli("checkpoint", a)
    assert p.returncode != 0 and "nothing to checkpoint" in p.stderr, (p.returncode, p.stderr)


if __name__ == "__main__":
    main(test)
