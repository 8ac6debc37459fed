"""fed-sim end to end, decentralized D-PSGD: on a ring of independently initialised nodes the
activation variance of the averaged models shrinks without variance correction and stays put
with it (read from run.h5 with h5py); a D-PSGD run learns and is bit-identical on 1 and 2 ranks;
a disaster cut of 30 % of the nodes makes their accuracy dip and recover; crashes and link
failures run through."""
import numpy as np

from e2e_support import Project, main
from fed_sim_support import run_fed, series


def test():
    prj = Project("fedgossip")
    # A learning rate of 1e-6: training barely moves the weights, what changes is the averaging's doing.
    base = {"algorithm": "dpsgd", "topology": "ring", "clients": 16, "model": "mlp", "lr": 1e-6, "rounds": 10}
    ratio = {}
    for corrected in (False, True):
        rid, _, _ = run_fed(prj, f"ring-vc-{corrected}", {**base, "variance_correction": corrected}, ranks=2)
        steps, var = series(prj, rid, "activation_var")
        assert list(steps) == list(range(1, 11)), steps
        ratio[corrected] = var[-1] / var[0]
    print(f"activation variance, round 10 / round 1: without correction {ratio[False]:.4f}, with {ratio[True]:.4f}")
    assert ratio[False] < 0.5, ratio
    assert 0.75 < ratio[True] < 1.33, ratio

    learn = {"algorithm": "dpsgd", "topology": "torus", "clients": 16, "rounds": 12, "seed": 4}
    got = {}
    for ranks in (1, 2):
        rid, _, _ = run_fed(prj, f"torus-r{ranks}", learn, ranks=ranks)
        got[ranks] = {n: series(prj, rid, n)[1] for n in ("test_accuracy", "node_accuracy", "consensus_distance",
                                                            "activation_var", "virtual_time_s", "bytes_sent")}
    for name, values in got[1].items():
        assert np.array_equal(values, got[2][name]), name
    print(f"D-PSGD torus: averaged model {got[1]['test_accuracy'][-1]:.4f}, mean node {got[1]['node_accuracy'][-1]:.4f}, "
          "bit-identical on 1 and 2 ranks")
    assert got[1]["test_accuracy"][-1] >= 0.85 and got[1]["node_accuracy"][-1] >= 0.85, got[1]

    # A disaster cuts 30 % of a label-skewed torus off for rounds 16-25: the region's accuracy
    # dips and recovers after reconnection; crashes and link failures on top, and nothing crashes.
    rid, rec, _ = run_fed(prj, "disaster", {"algorithm": "dpsgd", "topology": "torus", "clients": 20, "rounds": 40,
                                            "partition": "dirichlet", "dirichlet_alpha": 0.1, "disaster_fraction": 0.3,
                                            "disaster_start": 16, "disaster_rounds": 10}, ranks=2)
    steps, region = series(prj, rid, "region_accuracy")
    _, links = series(prj, rid, "links_down")
    assert (links[15:25] > 0).all() and (links[:15] == 0).all() and (links[25:] == 0).all(), links
    before, worst, after = region[14], region[15:25].min(), region[-1]
    print(f"disaster: region accuracy {before:.4f} before the cut, {worst:.4f} at worst, {after:.4f} at the end")
    assert worst < before - 0.03 and after > worst + 0.05 and after > before - 0.03, region
    rid, rec, _ = run_fed(prj, "failures", {"algorithm": "dpsgd", "topology": "small_world", "clients": 30, "rounds": 15,
                                            "crash_prob": 0.05, "crash_rounds": 3, "link_failure_prob": 0.2}, ranks=2)
    _, down = series(prj, rid, "nodes_down")
    assert down.max() > 0, down
    assert series(prj, rid, "test_accuracy")[1][-1] >= 0.8


if __name__ == "__main__":
    main(test)
