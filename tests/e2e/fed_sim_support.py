"""Helpers for the fed-sim end-to-end tests: run a fed-sim spec through the real CLI
(orrery-agent, mpirun ranks) and read its rank-0 series back from run.h5 with h5py."""
import h5py

from e2e_support import Project


def run_fed(prj: Project, name, params, ranks=2, expect="succeeded"):
    """Runs a fed-sim spec in the foreground; returns (run_id, run.json record, CLI output)."""
    spec = prj.spec(name, {"kind": "fed-sim", "name": name, "ranks": ranks, "params": params})
    p = prj.cli("run", spec, "--quiet", timeout=240)
    out = p.stdout + p.stderr
    ids = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l]
    assert ids, f"no run started for {name}:\n{out}"
    rec = prj.record(ids[0])
    assert rec["status"] == expect, f"{name}: {rec['status']} ({rec.get('reason')}), expected {expect}\n{out}\n{prj.logs(ids[0])}"
    return ids[0], rec, out


def series(prj: Project, run_id, name, rank=0):
    """(steps, values) of one metric series as numpy arrays."""
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        data = f[f"metrics/rank-{rank}/{name}"][:]
    return data["step"], data["value"]


def final(prj: Project, run_id, name):
    return float(series(prj, run_id, name)[1][-1])
