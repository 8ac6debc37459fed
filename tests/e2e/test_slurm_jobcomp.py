"""A Slurm cluster without accounting (the default slurm_testbed, JobCompType=jobcomp/filetxt,
MinJobAge 2 s): runs whose jobs slurmctld has purged get their final state from the jobcomp
file through `orrery attach` (slurm_purged_runs). With the file emptied, a purged job is
reported as unknown, saying that it was purged, that there is no accounting and that the file
does not hold it."""
from e2e_support import main
from slurm_purged_runs import check_purged_runs
from slurm_testbed import SlurmTestBed


def test():
    with SlurmTestBed(min_job_age=2) as bed:
        on, prj, bad_run, bad_job = check_purged_runs(bed, "slurm-jobcomp", "jobcomp/filetxt")
        # Slurm has forgotten the job everywhere: said as such; the verdict read earlier stays.
        bed.jobcomp.write_text("")
        p = on.cli("attach", bad_run)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert (f"slurm job {bad_job}: no longer known to Slurm (purged by slurmctld after MinJobAge; "
                f"no accounting (sacct); not in {bed.jobcomp})") in p.stdout, p.stdout
        assert prj.record(bad_run)["status"] == "failed"


if __name__ == "__main__":
    main(test)
