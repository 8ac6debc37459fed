"""gpt-serve end to end: a tiny model trained by gpt-train on 2 ranks is served on 2 ranks
colocated and disaggregated (1 prefill rank, 1 decode rank), and on 1 rank, with the same
workload. Every request gets the same tokens every way (per-request digests); every KV block is back in the
pool on every rank; the aggregates rank 0 logs (goodput, attainment, throughput) agree with
what h5py recomputes from the per-request TTFT/TPOT series; the gauges and the spans of
prefill, decode and KV transfers are there."""
import h5py

from e2e_support import Project, main
from gpt_serve_support import WORKLOAD, final, per_request, start_serve, train_checkpoint
from gpt_train_support import finish

SLO_TTFT_MS, SLO_TPOT_MS = 300.0, 40.0


def test():
    prj = Project("gptserve")
    ckpt, corpus = train_checkpoint(prj)
    params = dict(WORKLOAD, checkpoint=ckpt, corpus=corpus, slo_ttft_ms=SLO_TTFT_MS, slo_tpot_ms=SLO_TPOT_MS)
    colo = start_serve(prj, "colocated", dict(params, placement="colocated"))
    disagg = start_serve(prj, "disaggregated", dict(params, placement="disaggregated", prefill_ranks=1))
    single = start_serve(prj, "single", dict(params, placement="colocated"), ranks=1)
    finish(prj, colo)
    finish(prj, disagg)
    finish(prj, single)

    digests = {}
    for name, run in (("colocated", colo), ("disaggregated", disagg)):
        requests = int(final(prj, run, "requests"))
        digest = per_request(prj, run, "output_digest")
        ttft, tpot, e2e = (per_request(prj, run, m) for m in ("ttft_s", "tpot_s", "e2e_s"))
        assert requests >= 8 and sorted(digest) == list(range(requests)), (name, requests, sorted(digest))
        assert sorted(ttft) == sorted(tpot) == sorted(e2e) == list(range(requests))
        assert all(0 < ttft[i] <= e2e[i] for i in ttft), name
        digests[name] = digest
        # Goodput and attainment as h5py recomputes them from the per-request series.
        met = sum(1 for i in ttft if ttft[i] <= SLO_TTFT_MS / 1e3 and tpot[i] <= SLO_TPOT_MS / 1e3)
        assert sum(per_request(prj, run, "slo_met").values()) == met, name
        span = final(prj, run, "span_s")
        assert abs(final(prj, run, "goodput_rps") - met / span) < 1e-9, (name, met, span)
        assert abs(final(prj, run, "slo_attainment") - met / requests) < 1e-12
        assert final(prj, run, "throughput_tokens_per_s") > 0
        with h5py.File(prj.run_dir(run) / "run.h5", "r") as f:
            for rank in (0, 1):
                assert f[f"metrics/rank-{rank}/kv_blocks_in_use_at_end"][:]["value"][-1] == 0
            spans = {r: {s.decode() for s in f[f"spans/rank-{r}"][:]["name"]} for r in (0, 1)}
            occupancy = max(f[f"metrics/rank-{r}/kv_occupancy"][:]["value"].max() for r in (0, 1))
            assert 0 < occupancy <= 1, occupancy
            assert "metrics/rank-0/queue_length" in f
            if name == "colocated":
                assert {"prefill", "decode"} <= spans[0] and {"prefill", "decode"} <= spans[1], spans
            else:
                assert "prefill" in spans[0] and "kv send" in spans[0] and "decode" not in spans[0], spans[0]
                assert {"kv transfer", "decode"} <= spans[1] and "prefill" not in spans[1], spans[1]
                transfers = per_request(prj, run, "kv_transfer_s")
                assert transfers and all(t >= 0 for t in transfers.values())
        print(f"{name}: {requests} requests, goodput {final(prj, run, 'goodput_rps'):.2f} req/s, "
              f"attainment {final(prj, run, 'slo_attainment'):.2f}, {final(prj, run, 'throughput_tokens_per_s'):.0f} tokens/s")
    assert digests["colocated"] == digests["disaggregated"], "disaggregated tokens differ from colocated"
    assert per_request(prj, single, "output_digest", ranks=1) == digests["colocated"], "1 rank's tokens differ from 2 ranks'"
    assert len(set(digests["colocated"].values())) > 1, "every request produced the same tokens"
    print("colocated, disaggregated and 1 rank give every request the same tokens")


if __name__ == "__main__":
    main(test)
