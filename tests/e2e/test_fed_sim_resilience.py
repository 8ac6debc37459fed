"""fed-sim end to end, failures, stragglers and robust decentralized rules through the worker's
MPI paths (2 ranks, read from run.h5 with h5py): gradient coding cuts the rounds' virtual time
with exponential speeds and leaves every accuracy bit-identical, and so does sequential gradient
coding with stragglers, decoding every round within its delay; FedAvg with crashing clients
still learns, and so does FedCompass with crashing flights; MoDeST moves s + s x a models per round; Bristle keeps the honest nodes of a
gossip network with 20 % sign-flip nodes learning."""
import numpy as np

from e2e_support import Project, main
from fed_sim_support import run_fed, series

MODEL_BYTES = 4 * 650   # logistic regression on the digits: 64 x 10 weights + 10 biases


def test():
    prj = Project("fedresilience")
    stragglers = {"clients": 20, "rounds": 6, "speed_dist": "exponential"}
    plain, _, _ = run_fed(prj, "plain", stragglers)
    coded, _, _ = run_fed(prj, "coded", {**stragglers, "gradient_coding": 1})
    t_plain, t_coded = series(prj, plain, "virtual_time_s")[1][-1], series(prj, coded, "virtual_time_s")[1][-1]
    print(f"6 rounds with exponential speeds: {t_plain:.1f} virtual s plain, {t_coded:.1f} s with gradient coding")
    assert t_coded < t_plain / 2, (t_plain, t_coded)
    assert np.array_equal(series(prj, plain, "test_accuracy")[1], series(prj, coded, "test_accuracy")[1])

    # Sequential gradient coding (T = 2, s = 0) with 15 % stragglers in bursts of one slot (this seed's
    # pattern stays inside the tolerated model): FedAvg's accuracies bit for bit, every round decoded
    # within 2 slots, and sooner in virtual time than uncoded FedAvg waiting for the same stragglers.
    sgc, _, _ = run_fed(prj, "sgc", {**stragglers, "crash_prob": 0.15, "crash_rounds": 1, "sgc_delay": 2})
    assert np.array_equal(series(prj, plain, "test_accuracy")[1], series(prj, sgc, "test_accuracy")[1])
    assert series(prj, sgc, "sgc_decode_delay")[1].max() <= 2
    t_sgc, t_wait = series(prj, sgc, "virtual_time_s")[1][-1], series(prj, sgc, "sgc_uncoded_waiting_s")[1][-1]
    print(f"sequential coding: {t_sgc:.1f} virtual s, uncoded waiting {t_wait:.1f} s")
    assert t_sgc < t_wait and series(prj, sgc, "sgc_stall_slots")[1][-1] == 0, (t_sgc, t_wait)

    crashes, _, _ = run_fed(prj, "crashes", {"clients": 20, "rounds": 10, "crash_prob": 0.2, "crash_rounds": 2})
    _, crashed = series(prj, crashes, "clients_crashed")
    _, participants = series(prj, crashes, "participants")
    assert crashed.max() > 0 and np.array_equal(crashed + participants, np.full(10, 20.0)), (crashed, participants)
    assert series(prj, crashes, "test_accuracy")[1][-1] > 0.85

    async_crashes, _, _ = run_fed(prj, "compass-crashes", {"algorithm": "fedcompass", "clients": 20, "rounds": 40,
                                                          "max_local_steps": 5, "crash_prob": 0.2, "crash_rounds": 2})
    assert series(prj, async_crashes, "clients_crashed")[1][-1] > 0
    assert series(prj, async_crashes, "test_accuracy")[1][-1] > 0.85

    modest, _, _ = run_fed(prj, "modest", {"algorithm": "modest", "clients": 100, "client_fraction": 0.1,
                                           "aggregators": 3, "rounds": 20})
    _, sent = series(prj, modest, "bytes_sent")
    assert np.array_equal(np.diff(sent), np.full(19, 40.0 * MODEL_BYTES)), np.diff(sent)
    assert series(prj, modest, "test_accuracy")[1][-1] > 0.85

    bristle, _, _ = run_fed(prj, "bristle", {"algorithm": "dpsgd", "topology": "random_regular", "degree": 4,
                                             "clients": 20, "rounds": 12, "byzantine_fraction": 0.2,
                                             "attack": "sign_flip", "aggregator": "bristle"})
    honest = series(prj, bristle, "honest_node_accuracy")[1][-1]
    print(f"bristle gossip with 20 % sign-flip nodes: honest nodes' accuracy {honest:.4f}")
    assert honest > 0.8


if __name__ == "__main__":
    main(test)
