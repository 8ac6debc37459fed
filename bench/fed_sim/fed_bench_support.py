"""Helpers of the fed_sim benchmark scripts: a throw-away project and fed-sim runs through
the real CLI (orrery run: agent, mpirun ranks), read back from run.h5 with h5py."""
import json
import os
import subprocess
from pathlib import Path

import h5py


class BenchProject:
    def __init__(self, root, build):
        self.root = Path(root)
        self.orrery = str(Path(build) / "bin" / "orrery")
        (self.root / "orrery.json").write_text(json.dumps({"name": "bench", "targets": {"local": {"type": "local"}}}))
        self.env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
        if os.geteuid() == 0:
            self.env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")

    def run(self, name, params, ranks):
        """Runs a fed-sim spec to its end; returns the run's run.h5 path (raises if it failed)."""
        spec = self.root / f"{name}.json"
        spec.write_text(json.dumps({"kind": "fed-sim", "name": name, "ranks": ranks, "params": params}))
        p = subprocess.run([self.orrery, "-p", str(self.root), "run", str(spec), "--quiet"], capture_output=True,
                           text=True, env=self.env, timeout=600)
        if p.returncode != 0:
            raise SystemExit(f"{name} failed:\n{p.stdout}{p.stderr}")
        run_id = next(l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l)
        return self.root / "runs" / run_id / "run.h5"


def series(run_h5, name):
    with h5py.File(run_h5, "r") as f:
        return f[f"metrics/rank-0/{name}"][:]
