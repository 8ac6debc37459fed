"""fed-sim end to end, bad inputs: values outside the manifest's ranges are refused before
anything starts (exit 2, the parameter's JSON path); combinations only the worker can judge
(Krum with f >= 1/2, alpha <= 0, more clients than training samples, missing data, a
disconnected topology) fail the
run with the worker's reason in the failure record and the CLI's output."""

from e2e_support import Project, main


def test():
    prj = Project("fedbad")
    spec = prj.spec("range", {"kind": "fed-sim", "params": {"byzantine_fraction": 1.5, "aggregator": "mode"}})
    p = prj.cli("run", spec)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "$.params.byzantine_fraction" in p.stderr and "$.params.aggregator" in p.stderr, p.stderr

    cases = [
        ({"aggregator": "krum", "byzantine_fraction": 0.5, "clients": 20},
         "krum tolerates fewer than half of the clients being Byzantine"),
        ({"partition": "dirichlet", "dirichlet_alpha": 0}, "--dirichlet_alpha: must be greater than 0"),
        ({"clients": 5000}, "clients (5000) is more than the training samples (1438)"),
        ({"data_dir": str(prj.root / "nowhere")}, "digits.csv.gz not found"),
        ({"speed_dist": "trace"}, "--trace_file: is required"),
        ({"algorithm": "dpsgd", "topology": "erdos_renyi", "edge_prob": 0.01, "clients": 40},
         "topology of 40 nodes is not connected"),
    ]
    # A failing run takes ~13 s here (mpirun's teardown after a non-zero exit), so the
    # cases run side by side.
    started = []
    for i, (params, message) in enumerate(cases):
        spec = prj.spec(f"bad-{i}", {"kind": "fed-sim", "name": f"bad-{i}", "ranks": 2, "params": params})
        started.append((prj.start_detached(spec), message))
    prj.expect_worker_refusals(started, via_show=True)


if __name__ == "__main__":
    main(test)
