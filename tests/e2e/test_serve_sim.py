"""serve-sim end to end through `orrery run`: a simulated colocated cluster reports one TTFT,
e2e latency and SLO verdict per request and gpt-serve's aggregates (read back with h5py and
checked against each other); a disaggregated run of the same workload; Infinite-LLM KV
spanning (requests larger than an instance served, loans reported and all returned) and shared
KV-transfer links (bytes conserved); a placement search
whose reported winners and ratio match its per-candidate series; bad inputs (rate <= 0,
SLO <= 0, more prefill instances than instances) fail the run with exit 2 and the reason."""
import h5py
import numpy as np

from e2e_support import Project, main

WORKLOAD = {"rate": 20.0, "duration_s": 5.0, "prompt_min": 32, "prompt_max": 256, "output_min": 8, "output_max": 64,
            "arrival": "gamma", "lengths": "lognormal", "slo_ttft_ms": 500, "slo_tpot_ms": 15}


def run(prj, name, params, expect="succeeded"):
    spec = prj.spec(name, {"kind": "serve-sim", "name": name, "ranks": 1, "params": params})
    p = prj.cli("run", spec, "--quiet", timeout=120)
    ids = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l]
    assert ids, f"no run started for {name}:\n{p.stdout}{p.stderr}"
    rec = prj.record(ids[0])
    assert rec["status"] == expect, (name, rec["status"], rec.get("reason"), prj.logs(ids[0]))
    with h5py.File(prj.run_dir(ids[0]) / "run.h5", "r") as f:
        metrics = {n: (f[f"metrics/rank-0/{n}"][:]["step"], f[f"metrics/rank-0/{n}"][:]["value"]) for n in f["metrics/rank-0"]}
    return ids[0], metrics


def final(metrics, name):
    return float(metrics[name][1][-1])


def nearest_rank(values, q):
    v = np.sort(values)
    return v[max(1, int(np.ceil(q * len(v)))) - 1]


def test():
    prj = Project("servesim")
    _, col = run(prj, "colocated", dict(WORKLOAD, placement="colocated", instances=2, batch_limit=8))
    steps, ttft = col["ttft_s"]
    n = len(steps)
    assert n > 50 and sorted(steps) == list(range(n)), n
    assert (ttft > 0).all()
    _, met = col["slo_met"]
    assert set(np.unique(met)) <= {0.0, 1.0}
    assert abs(final(col, "slo_attainment") - met.mean()) < 1e-12, (final(col, "slo_attainment"), met.mean())
    assert abs(final(col, "goodput_rps") - final(col, "slo_attainment") * final(col, "requests_per_s")) < 1e-9
    assert final(col, "ttft_p50_s") == nearest_rank(ttft, 0.5)
    assert final(col, "tpot_p90_s") == nearest_rank(col["tpot_s"][1], 0.9)
    assert final(col, "max_batch") <= 8 and final(col, "events") > 2 * n
    print(f"colocated 2: {n} requests, goodput {final(col, 'goodput_rps'):.2f} req/s, attainment {final(col, 'slo_attainment'):.3f}")

    _, dis = run(prj, "disaggregated", dict(WORKLOAD, placement="disaggregated", instances=2, prefill_instances=1, batch_limit=8))
    assert len(dis["ttft_s"][0]) == n  # the same workload
    print(f"disaggregated 1P+1D: goodput {final(dis, 'goodput_rps'):.2f} req/s, attainment {final(dis, 'slo_attainment'):.3f}")

    # Instances of 200 KV tokens (0.0187 GiB at 100 kB per token): the longest requests (up to
    # 320 tokens) span; without kv_spanning the run is refused (see the bad inputs below).
    tiny_kv = {"kv_gib_per_gpu": 0.0187, "kv_spanning": "on"}
    _, span = run(prj, "spanning", dict(WORKLOAD, placement="colocated", instances=3, batch_limit=8, **tiny_kv))
    assert len(span["ttft_s"][0]) == n  # every request served
    assert final(span, "spanning_requests") > 0 and final(span, "kv_borrowed_tokens") > 0
    assert final(span, "max_kv_lent_tokens") <= final(span, "kv_borrowed_tokens")
    assert final(span, "kv_lent_at_end") == 0
    steps_i, held = span["instance_kv_at_end"]
    assert list(steps_i) == [0, 1, 2] and (held == 0).all(), held
    _, occupancy = span["instance_max_kv_occupancy"]
    assert (occupancy <= 1).all() and occupancy.max() == 1.0, occupancy
    print(f"spanning: {final(span, 'spanning_requests'):.0f} requests borrowed {final(span, 'kv_borrowed_tokens'):.0f} KV tokens, "
          f"occupancy {occupancy.round(2).tolist()}, goodput {final(span, 'goodput_rps'):.2f} req/s")

    _, shared = run(prj, "link-sharing", dict(WORKLOAD, placement="disaggregated", instances=3, prefill_instances=2, batch_limit=8,
                                              kv_gbps=0.05, link_sharing="on"))
    assert final(shared, "link_bytes_started") == final(shared, "link_bytes_delivered") > 0
    print(f"link sharing 2P+1D: {final(shared, 'link_bytes_delivered') / 1e6:.1f} MB moved, e2e p50 {final(shared, 'e2e_p50_s'):.3f} s")

    _, search = run(prj, "search", dict(WORKLOAD, mode="search", max_instances=3, batch_limits="4,16"))
    cand, per_gpu = search["goodput_per_gpu"]
    assert list(cand) == list(range(12)), cand  # per batch limit: colocated 1..3 and splits 1+1, 1+2, 2+1
    best_c, best_d = final(search, "best_colocated_goodput_per_gpu"), final(search, "best_disaggregated_goodput_per_gpu")
    assert max(best_c, best_d) == per_gpu.max()
    assert best_c in per_gpu and best_d in per_gpu
    assert abs(final(search, "disaggregated_over_colocated") - best_d / best_c) < 1e-9
    # DistServe's figure for each winner (bisection: asan.test_serve_sim_search checks its bracket).
    rate_c, rate_d = final(search, "best_colocated_max_rate_per_gpu"), final(search, "best_disaggregated_max_rate_per_gpu")
    assert rate_c > 0 and rate_d > 0, (rate_c, rate_d)
    print(f"search: best colocated {best_c:.3f}, disaggregated {best_d:.3f} req/s per GPU; "
          f"max rate per GPU at 90 % attainment {rate_c:.2f} and {rate_d:.2f} req/s")

    cases = [({"rate": 0}, "--rate: must be greater than 0 requests/s"),
             ({"slo_ttft_ms": 0}, "--slo_ttft_ms: must be greater than 0"),
             ({"slo_tpot_ms": -1}, "--slo_tpot_ms: must be greater than 0"),
             ({"placement": "disaggregated", "instances": 2, "prefill_instances": 2},
              "--prefill_instances 2: more prefill instances than the 2 instances allow"),
             ({"kv_gib_per_gpu": 0.00001}, "tokens of KV cache, more than an instance holds"),
             ({"kv_gib_per_gpu": 0.0187}, "tokens of KV cache, more than an instance holds (200)"),
             ({"kv_gib_per_gpu": 0.00001, "kv_spanning": "on"}, "more than the 2 instances that could hold it hold together"),
             ({"link_sharing": "on"}, "--link_sharing: only disaggregated placement moves KV between instances")]
    started = []
    for i, (params, message) in enumerate(cases):
        spec = prj.spec(f"bad-{i}", {"kind": "serve-sim", "name": f"bad-{i}", "ranks": 1, "params": dict(WORKLOAD, **params)})
        started.append((prj.start_detached(spec), message))
    prj.expect_worker_refusals(started)


if __name__ == "__main__":
    main(test)
