"""fed-sim end to end, decentralized D-PSGD: on a ring of independently initialised nodes the
activation variance of the averaged models shrinks without variance correction and stays put
with it (read from run.h5 with h5py); a D-PSGD run learns and is bit-identical on 1 and 2 ranks."""
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


if __name__ == "__main__":
    main(test)
