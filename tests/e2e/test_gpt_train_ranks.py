"""gpt-train end to end, data parallel: the same global batch on 1, 2 and 4 ranks gives the
same losses (within float reduction order), and all-reducing during backward (overlap) or
after it gives bit-identical ones (same buckets, same sums). Also checks the telemetry a
user watches: per-bucket all-reduce spans, the overlap metrics, text samples as events."""
import h5py

from e2e_support import Project, main
from gpt_train_support import TINY, finish, max_difference, series, start, write_corpus


def test():
    prj = Project("gptranks")
    params = dict(TINY, corpus=write_corpus(prj.root), steps=8, val_interval=4)
    # The first run trains and caches the tokenizer; the others then start side by side.
    one = start(prj, "r1", params, 1)
    finish(prj, one)
    runs = {"r2": start(prj, "r2", params, 2), "r4": start(prj, "r4", params, 4),
            "r2-no-overlap": start(prj, "r2n", dict(params, overlap=False), 2)}
    for run_id in runs.values():
        finish(prj, run_id)

    base = series(prj, one, "train_loss")
    steps = range(8)
    assert sorted(base) == list(steps), base
    assert base[7] < base[0] - 0.2, f"the loss did not fall: {base}"
    for name in ("r2", "r4"):
        diff = max_difference(base, series(prj, runs[name], "train_loss"), steps)
        print(f"{name}: max train loss difference to 1 rank {diff:.2e}")
        assert diff < 1e-3, (name, diff)
        vdiff = max_difference(series(prj, one, "val_loss"), series(prj, runs[name], "val_loss"), [3, 7])
        assert vdiff < 1e-3, (name, vdiff)
    same = max_difference(series(prj, runs["r2"], "train_loss"), series(prj, runs["r2-no-overlap"], "train_loss"), steps)
    assert same == 0.0, f"overlap changed the losses by {same}"

    with h5py.File(prj.run_dir(runs["r2"]) / "run.h5", "r") as f:
        for rank in (0, 1):
            names = {s.decode() for s in f[f"spans/rank-{rank}"][:]["name"]}
            buckets = {n for n in names if n.startswith("allreduce bucket ")}
            assert {"forward", "backward", "optimizer", "data", "save"} <= names, names
            assert len(buckets) >= 3, f"expected several gradient buckets at bucket_mb 0.01: {names}"
            hidden = f[f"metrics/rank-{rank}/allreduce_hidden_fraction"][:]["value"]
            assert ((hidden >= 0) & (hidden <= 1)).all(), hidden
        events = [(e["kind"].decode(), e["text"].decode()) for e in f["events"][:]]
        assert sum(k == "sample" for k, _ in events) == 2, events
        assert any(k == "checkpoint.saved" for k, _ in events), events
    with h5py.File(prj.run_dir(runs["r2-no-overlap"]) / "run.h5", "r") as f:
        hidden = f["metrics/rank-0/allreduce_hidden_fraction"][:]["value"]
        assert (hidden < 0.05).all(), f"nothing can hide after backward: {hidden}"
    print("ranks 1, 2, 4 agree; overlap is bit-identical to no overlap")


if __name__ == "__main__":
    main(test)
