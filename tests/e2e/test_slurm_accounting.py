"""A Slurm cluster with accounting (slurm_testbed with MariaDB and slurmdbd, MinJobAge 2 s):
runs whose jobs slurmctld has purged get their final state from sacct through `orrery attach`
(slurm_purged_runs), sacct coming before the jobcomp file the bed also writes. With slurmdbd
stopped, sacct fails and the jobcomp file still answers."""
import signal

from e2e_support import main
from slurm_purged_runs import check_purged_runs
from slurm_testbed import SlurmTestBed


def test():
    with SlurmTestBed(accounting=True, min_job_age=2) as bed:
        print("bed start-up (s):", {k: round(v, 1) for k, v in bed.startup_s.items()})
        on, prj, bad_run, bad_job = check_purged_runs(bed, "slurm-accounting", "sacct")
        # The accounting database unreachable: the jobcomp file is asked instead.
        bed.procs["slurmdbd"].send_signal(signal.SIGTERM)
        bed.procs["slurmdbd"].wait(10)
        p = on.cli("attach", bad_run)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert f"slurm job {bad_job}: FAILED (exit code 127:0) [jobcomp/filetxt]" in p.stdout, p.stdout


if __name__ == "__main__":
    main(test)
