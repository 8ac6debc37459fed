"""The command kind: the shipped mpi4py manifest (mpi-pi-py) runs a Python script on 2 MPI ranks;
its reporter lines become metrics in run.h5 and its other lines go to the rank logs."""
import h5py

from e2e_support import Project, main, PYTHON


def test():
    prj = Project("mpi4py")
    spec = prj.spec("pi", {"kind": "mpi-pi-py", "name": "pi", "ranks": 2,
                           "params": {"rounds": 6, "samples_per_round": 200000, "seed": 3}})
    p = prj.cli("run", spec, "--quiet", check=0)
    run_id = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]
    rec = prj.record(run_id)
    assert rec["status"] == "succeeded", rec
    assert rec["argv"][0] == PYTHON and rec["argv"][-1] != "", rec["argv"]
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r", swmr=True) as f:
        pi = f["metrics/rank-0/pi_estimate"][:]
        assert len(pi) == 6, pi
        assert abs(pi["value"][-1] - 3.14159) < 0.05, pi["value"]
        assert list(pi["step"]) == list(range(len(pi))) or list(pi["step"]) == list(range(1, len(pi) + 1)), pi["step"]
    log0 = (prj.run_dir(run_id) / "logs" / "rank-0.log").read_text()
    assert log0.strip(), "rank 0's log is empty"

    # The generic command kind: any program, argv passed literally (no shell).
    spec2 = prj.spec("echo", {"kind": "command", "name": "echo", "ranks": 2,
                              "params": {"argv": ["/bin/echo", "hello; rm -rf / $(whoami)"]}})
    p = prj.cli("run", spec2, "--quiet", check=0)
    run2 = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]
    for rank in (0, 1):
        text = (prj.run_dir(run2) / "logs" / f"rank-{rank}.log").read_text()
        assert "hello; rm -rf / $(whoami)" in text, text


if __name__ == "__main__":
    main(test)
