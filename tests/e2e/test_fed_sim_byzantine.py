"""fed-sim end to end, Byzantine clients: with 20 % sign-flip attackers, the mean falls below
50 % test accuracy while coordinate-wise median, trimmed mean and Krum stay above 80 %, and
Krum accepts no attacker's update."""
from e2e_support import Project, main
from fed_sim_support import final, run_fed, series


def test():
    prj = Project("fedbyz")
    base = {"clients": 20, "rounds": 15, "byzantine_fraction": 0.2, "attack": "sign_flip", "attack_scale": 10}
    acc = {}
    for agg in ("mean", "median", "trimmed_mean", "krum"):
        rid, _, _ = run_fed(prj, f"byz-{agg}", {**base, "aggregator": agg}, ranks=2)
        acc[agg] = final(prj, rid, "test_accuracy")
        _, byz = series(prj, rid, "byzantine_participants")
        assert (byz == 4).all(), byz   # 20 % of 20 clients, all sampled
        if agg == "krum":
            _, accepted = series(prj, rid, "byzantine_accepted")
            assert (accepted == 0).all(), accepted
    print("20 % sign-flip attackers, final test accuracy:", {k: round(v, 4) for k, v in acc.items()})
    assert acc["mean"] < 0.5, acc
    for agg in ("median", "trimmed_mean", "krum"):
        assert acc[agg] > 0.8, (agg, acc)


if __name__ == "__main__":
    main(test)
