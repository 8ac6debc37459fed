"""fed-sim end to end: FedAvg on IID digits over 2 MPI ranks reaches >= 90 % test accuracy,
with its metrics, spans and progress in run.h5; runs are bit-identical across reruns with
the same seed and across 1, 2 and 4 ranks (every series compared value by value with h5py),
for the synchronous rounds (gathered or tree-aggregated) and for FedAsync, FedBuff and FedCompass."""
import h5py
import numpy as np

from check_run_h5 import check
from e2e_support import Project, main
from fed_sim_support import run_fed, series

# Rank 0's series that may depend on the rank count: wall time, and the rank's own share of clients.
RANK_DEPENDENT = {"aggregation_ms", "rank_clients_trained"}


def job_series(prj, run_id):
    """Every rank-0 series of a run that must be the same on any rank count, by name."""
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        names = [n for n in f["metrics/rank-0"] if n not in RANK_DEPENDENT]
    return {n: series(prj, run_id, n) for n in names}


def test():
    prj = Project("fedsim")

    # FedAvg, IID digits, 10 clients, logistic regression.
    run_id, rec, _ = run_fed(prj, "fedavg-iid", {"clients": 10, "rounds": 15}, ranks=2)
    assert rec["progress"]["done"] == rec["progress"]["total"] == 15, rec["progress"]
    summary = check(prj.run_dir(run_id) / "run.h5", expect_ranks=2,
                    expect_metrics=("test_accuracy", "virtual_time_s", "rank_clients_trained"))
    print("h5py summary:", str(summary)[:400])
    steps, acc = series(prj, run_id, "test_accuracy")
    assert list(steps) == list(range(1, 16)), steps
    print(f"FedAvg IID digits, 2 ranks: test accuracy {acc[0]:.4f} after round 1, {acc[-1]:.4f} after 15")
    assert acc[-1] >= 0.90, acc
    _, vt = series(prj, run_id, "virtual_time_s")
    assert (np.diff(vt) > 0).all() and vt[0] > 0, vt
    _, sent = series(prj, run_id, "bytes_sent")
    assert sent[-1] == 15 * 10 * 2 * 4 * (64 * 10 + 10), sent[-1]   # rounds x clients x (down + up) x model bytes
    for rank in (0, 1):
        _, trained = series(prj, run_id, "rank_clients_trained", rank)
        assert (trained == 5).all(), trained   # 10 clients, 5 per rank
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        for rank in (0, 1):
            spans = f[f"spans/rank-{rank}"][:]
            kinds = {(k.decode(), n.decode()) for k, n in zip(spans["kind"], spans["name"])}
            assert ("compute", "local training") in kinds and ("comm", "gather updates") in kinds, kinds
            assert ("comm", "broadcast model") in kinds, kinds
        kinds0 = {n.decode() for n in f["spans/rank-0"][:]["name"]}
        assert "aggregation" in kinds0 and "evaluation" in kinds0, kinds0

    # Bit-identical: sampling, label skew, an MLP, ALIE attackers against trimmed mean.
    params = {"clients": 24, "rounds": 6, "client_fraction": 0.5, "partition": "dirichlet", "dirichlet_alpha": 0.5,
              "model": "mlp", "hidden": 16, "byzantine_fraction": 0.2, "attack": "alie", "aggregator": "trimmed_mean",
              "speed_dist": "exponential", "seed": 7}
    runs = {}
    for label, ranks in (("r1", 1), ("r2", 2), ("r2-again", 2), ("r4", 4)):
        rid, _, _ = run_fed(prj, f"det-{label}", params, ranks=ranks)
        runs[label] = job_series(prj, rid)
    ref = runs["r1"]
    assert {"test_accuracy", "virtual_time_s", "bytes_sent", "client_participation"} <= set(ref), sorted(ref)
    for label, got in runs.items():
        assert set(got) == set(ref), (label, sorted(got), sorted(ref))
        for name in ref:
            assert np.array_equal(ref[name][0], got[name][0]), (label, name, "steps differ")
            assert np.array_equal(ref[name][1], got[name][1]), (label, name, ref[name][1], got[name][1])
    print("bit-identical over 1, 2 (twice) and 4 ranks:", sorted(ref), "; final accuracy",
          ref["test_accuracy"][1][-1])
    # The asynchronous algorithms too: every rank replays the schedule and applies the same updates.
    for algorithm in ("fedasync", "fedbuff", "fedcompass"):
        params_async = {"algorithm": algorithm, "clients": 30, "concurrency": 6, "rounds": 10 if algorithm == "fedbuff" else 30,
                        "buffer_size": 3, "max_local_steps": 5, "speed_dist": "exponential", "seed": 3}
        got = {}
        for ranks in (1, 2, 4):
            rid, _, _ = run_fed(prj, f"{algorithm}-r{ranks}", params_async, ranks=ranks)
            got[ranks] = job_series(prj, rid)
        assert {"staleness_count", "staleness", "client_participation"} <= set(got[1]), sorted(got[1])
        for ranks in (2, 4):
            assert set(got[ranks]) == set(got[1]), (algorithm, ranks)
            for name in got[1]:
                assert np.array_equal(got[1][name][1], got[ranks][name][1]), (algorithm, ranks, name)
        stale = got[1]["staleness_count"]
        print(f"{algorithm}: bit-identical over 1, 2, 4 ranks; final accuracy {got[1]['test_accuracy'][1][-1]:.4f}, "
              f"staleness histogram {dict(zip(stale[0].tolist(), stale[1].astype(int).tolist()))}")

    # Hierarchical aggregation (exact per-rank sums, MPI_Reduce): bit-identical too, and it learns.
    tree = {"clients": 40, "rounds": 20, "client_fraction": 0.5, "aggregation_tree": True, "seed": 5}
    got = {}
    for ranks in (1, 2, 4):
        rid, _, _ = run_fed(prj, f"tree-r{ranks}", tree, ranks=ranks)
        got[ranks] = job_series(prj, rid)
    for ranks in (2, 4):
        for name in got[1]:
            assert np.array_equal(got[1][name][1], got[ranks][name][1]), ("tree", ranks, name)
    assert got[1]["test_accuracy"][1][-1] >= 0.9, got[1]["test_accuracy"][1]
    print(f"aggregation tree: bit-identical over 1, 2, 4 ranks; final accuracy {got[1]['test_accuracy'][1][-1]:.4f}")

    # ... and the seed matters.
    rid, _, _ = run_fed(prj, "det-seed8", {**params, "seed": 8}, ranks=2)
    assert not np.array_equal(series(prj, rid, "test_loss")[1], ref["test_loss"][1])


if __name__ == "__main__":
    main(test)
