"""2-rank allreduce-bench end to end through the CLI: run, ls, show, export; run.h5 read back by h5py."""
import csv
import json

from e2e_support import Project, main
from check_run_h5 import check


def test():
    prj = Project("allreduce")
    spec = prj.spec("ar", {"kind": "allreduce-bench", "name": "ar-quick", "ranks": 2, "tags": ["e2e"],
                           "params": {"min_bytes": 8, "max_bytes": 262144, "iterations": 20, "warmup": 2}})
    p = prj.cli("run", spec, check=0)
    assert "succeeded" in p.stdout, p.stdout
    run_id = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]
    rec = prj.record(run_id)
    assert rec["status"] == "succeeded" and rec["ranks"] == 2 and rec["kind"] == "allreduce-bench", rec
    assert rec["dropped"] == 0 and rec["rejected"] == 0, rec
    assert rec["progress"]["done"] == rec["progress"]["total"] == 16, rec["progress"]   # 8 B .. 256 KiB

    summary = check(prj.run_dir(run_id) / "run.h5", expect_ranks=2,
                    expect_metrics=("latency_us", "algbw_GBps", "busbw_GBps"))
    print("h5py summary:", json.dumps(summary, default=str)[:600])

    import h5py
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        for rank in (0, 1):
            lat = f[f"metrics/rank-{rank}/latency_us"][:]
            assert list(lat["step"]) == [8 << i for i in range(16)], lat["step"]
            assert (lat["value"] > 0).all()
            algbw = f[f"metrics/rank-{rank}/algbw_GBps"][:]["value"]
            busbw = f[f"metrics/rank-{rank}/busbw_GBps"][:]["value"]
            assert abs(busbw - algbw * 2 * (2 - 1) / 2).max() < 1e-9   # busbw = algbw * 2(n-1)/n
            assert len(f[f"spans/rank-{rank}"]) >= 16
        red = f["reduced/latency_us"][:]
        assert len(red) == 16 and (red["count"] == 2).all(), red
        assert "rank-0" in f["system"] and "rss_mb" in f["system/rank-0"] or rec["ended"] - rec["started"] < 1.5

    ls = prj.cli("ls", check=0).stdout
    assert run_id in ls and "succeeded" in ls and "allreduce-bench" in ls, ls
    show = prj.cli("show", run_id[:20], check=0).stdout
    assert "busbw_GBps" in show and "succeeded" in show and "checkpoints" in show, show
    shown = json.loads(prj.cli("show", "ar-quick", "--json", check=0).stdout)   # by name
    assert shown["id"] == run_id

    out = prj.root / "csv"
    prj.cli("export", run_id, "--csv", out, check=0)
    f = out / "metrics" / "rank-1" / "busbw_GBps.csv"
    rows = list(csv.reader(f.open()))
    assert rows[0] == ["step", "time", "value"] and len(rows) == 17, rows[:3]


if __name__ == "__main__":
    main(test)
