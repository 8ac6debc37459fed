"""gpt-train end to end, ZeRO-1 sharded optimizer state (zero_stage=1) on real MPI ranks:
- sharded and replicated training on 2 ranks give the same losses (1e-5 relative: only the
  gradient norm's summation order differs), and each sharded rank holds half the AdamW
  moments (the optimizer_state_bytes metric);
- reduce-scattering during backward (overlap) or after it gives bit-identical losses;
- zero_stage 2 is refused before anything starts; the timeline has per-bucket
  reduce-scatter spans, the parameter all-gather and each rank's checkpoint slice write;
- the sharded checkpoint, its moments written by the ranks at once into one file through
  parallel HDF5 (their write spans overlap at each save), reads with h5py as the same consolidated moments as the replicated run's, with fragments naming
  which rank held which range;
- resuming is universal: sharded on 2 -> replicated on 1 and sharded on 4, replicated on
  2 -> sharded on 2 continue the loss curve, and sharded on 2 -> sharded on 2 continues it
  bit for bit."""
import h5py
import numpy as np

from e2e_support import Project, main
from gpt_train_support import TINY, finish, max_difference, series, start, write_corpus

STEPS = range(8)
RESUMED = range(4, 8)


def relative_difference(a: dict, b: dict, steps):
    return max(abs(a[s] - b[s]) / abs(a[s]) for s in steps)


def check_sharded_checkpoint(sharded_file, replicated_file):
    with h5py.File(sharded_file, "r") as z, h5py.File(replicated_file, "r") as u:
        assert z.attrs["zero_stage"] == 1 and z.attrs["ranks"] == 2 and z.attrs["step"] == 4
        assert u.attrs["zero_stage"] == 0
        total = sum(d.size for d in z["params"].values())
        held = {0: 0, 1: 0}
        for name, data in z["adam_m"].items():
            for group in ("adam_m", "adam_v"):
                ours, theirs = z[group][name][()], u[group][name][()]
                assert ours.shape == theirs.shape == z["params"][name].shape, (group, name)
                scale = float(np.max(np.abs(theirs)))
                assert scale > 0, (group, name)
                worst = float(np.max(np.abs(ours - theirs))) / scale
                assert worst < 1e-4, f"{group}/{name}: sharded and replicated moments differ by {worst:.2e} of their size"
            assert data.attrs["sharding"] == "zero1", name
            assert z["params"][name].attrs["sharding"] == "replicated", name
            frag = data.attrs["fragments"]
            # Rows (rank, first element, count) in rank order, tiling the tensor.
            assert list(frag[:, 1]) == [0] + list(np.cumsum(frag[:, 2])[:-1]), (name, frag)
            assert int(frag[:, 2].sum()) == data.size, (name, frag)
            for rank, _, count in frag:
                held[int(rank)] += int(count)
        assert held[0] + held[1] == total and abs(held[0] - held[1]) <= 1, held
        # The slice boundary falls inside one tensor, which both ranks then hold a part of.
        split = [n for n, d in z["adam_v"].items() if d.attrs["fragments"].shape[0] == 2]
        assert len(split) == 1, split
        print(f"sharded checkpoint: {total} moments per tensor group, rank 0 held {held[0]}, rank 1 {held[1]}; "
              f"{split[0]} split between them")


def test():
    prj = Project("gptzero")
    bad = prj.cli("run", prj.spec("zero2", {"kind": "gpt-train", "params": dict(TINY, zero_stage=2)}))
    assert bad.returncode == 2 and "$.params.zero_stage" in bad.stderr, (bad.returncode, bad.stderr)
    params = dict(TINY, corpus=write_corpus(prj.root), steps=8, val_interval=4, checkpoint_interval=4)
    sharded = dict(params, zero_stage=1)
    # The first run trains and caches the tokenizer; the sharded one then reuses it.
    plain = start(prj, "plain", params, 2)
    finish(prj, plain)
    zero = start(prj, "zero", sharded, 2)
    finish(prj, zero)

    base, ours = series(prj, plain, "train_loss"), series(prj, zero, "train_loss")
    assert sorted(ours) == list(STEPS), ours
    assert base[7] < base[0] - 0.2, f"the loss did not fall: {base}"
    rel = relative_difference(base, ours, STEPS)
    print(f"2 ranks, sharded vs replicated: max relative train loss difference {rel:.2e}")
    assert rel < 1e-5, rel
    assert relative_difference(series(prj, plain, "val_loss"), series(prj, zero, "val_loss"), [3, 7]) < 1e-5

    replicated_bytes = series(prj, plain, "optimizer_state_bytes")[0]
    per_rank = [series(prj, zero, "optimizer_state_bytes", rank)[0] for rank in (0, 1)]
    print(f"AdamW state per rank: replicated {replicated_bytes:.0f} B, sharded {per_rank[0]:.0f} + {per_rank[1]:.0f} B")
    assert sum(per_rank) == replicated_bytes, (per_rank, replicated_bytes)
    assert max(per_rank) <= replicated_bytes / 2 + 8, (per_rank, replicated_bytes)
    assert series(prj, plain, "optimizer_state_bytes", 1)[0] == replicated_bytes

    # The timeline shows the sharded collectives: per-bucket reduce-scatters, the all-gather.
    with h5py.File(prj.run_dir(zero) / "run.h5", "r") as f:
        for rank in (0, 1):
            names = {n.decode() for n in f[f"spans/rank-{rank}"][:]["name"]}
            assert len({n for n in names if n.startswith("reduce-scatter bucket ")}) >= 3, names
            assert {"allgather params", "write slice"} <= names and not any(n.startswith("allreduce bucket") for n in names), names
            assert len(f[f"metrics/rank-{rank}/allgather_s"]) == 8
        # The ranks write their moment slices at once (parallel HDF5), not in turns: at every
        # save each rank's write overlaps the other's (both start after a barrier and end after
        # a collective; with turns rank 1's began when rank 0's had ended).
        writes = [{int(s["step"]): (s["start"], s["end"]) for s in f[f"spans/rank-{rank}"][:]
                   if s["name"] == b"write slice"} for rank in (0, 1)]
        assert sorted(writes[0]) == sorted(writes[1]) == [4, 8], writes
        for step, (start0, end0) in writes[0].items():
            start1, end1 = writes[1][step]
            assert start0 < end1 and start1 < end0, f"step {step}: rank 0 wrote {start0}-{end0}, rank 1 {start1}-{end1}"

    four = str(prj.run_dir(zero) / "checkpoints" / "step-0000004.h5")
    plain_four = str(prj.run_dir(plain) / "checkpoints" / "step-0000004.h5")
    runs = {"sharded 2 -> sharded 2": start(prj, "zz", dict(sharded, resume=four), 2),
            "sharded 2 -> replicated 1": start(prj, "zu", dict(params, resume=four), 1),
            "sharded 2 -> sharded 4": start(prj, "z4", dict(sharded, resume=four), 4),
            "replicated 2 -> sharded 2": start(prj, "uz", dict(sharded, resume=plain_four), 2),
            "sharded, reduce-scatter after backward": start(prj, "zn", dict(sharded, overlap=False), 2)}
    check_sharded_checkpoint(four, plain_four)
    for run_id in runs.values():
        finish(prj, run_id)

    after = series(prj, runs["sharded, reduce-scatter after backward"], "train_loss")
    assert after == ours, f"overlap changed the sharded losses: {ours} vs {after}"
    same = series(prj, runs["sharded 2 -> sharded 2"], "train_loss")
    assert sorted(same) == list(RESUMED), same
    assert all(same[s] == ours[s] for s in RESUMED), (ours, same)
    for name, reference in (("sharded 2 -> replicated 1", ours), ("sharded 2 -> sharded 4", ours),
                            ("replicated 2 -> sharded 2", base)):
        diff = max_difference(reference, series(prj, runs[name], "train_loss"), RESUMED)
        print(f"resumed {name}: max train loss difference {diff:.2e}")
        assert diff < 1e-3, (name, diff)
    assert relative_difference(base, series(prj, runs["replicated 2 -> sharded 2"], "train_loss"), RESUMED) < 1e-5

    # Saved by 4 sharded ranks at step 8: the same consolidated moments as the 2-rank run's.
    with h5py.File(prj.run_dir(runs["sharded 2 -> sharded 4"]) / "checkpoints" / "step-0000008.h5", "r") as f4, \
            h5py.File(prj.run_dir(zero) / "checkpoints" / "step-0000008.h5", "r") as f2:
        assert f4.attrs["ranks"] == 4 and sorted({int(r) for d in f4["adam_m"].values()
                                                  for r in d.attrs["fragments"][:, 0]}) == [0, 1, 2, 3]
        for name in f2["adam_v"]:
            a, b = f4["adam_v"][name][()], f2["adam_v"][name][()]
            assert np.max(np.abs(a - b)) <= 1e-3 * np.max(np.abs(b)), name
    print("sharded on 2 resumes bit-identically on 2, and within float tolerance on 1 and 4 ranks")


if __name__ == "__main__":
    main(test)
