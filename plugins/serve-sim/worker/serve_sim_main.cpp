// orrery-serve-sim: the serve-sim job kind's worker. Simulates an LLM serving cluster on
// gpt-serve's workload (one process, no MPI: the simulation is sequential), or searches its
// placements, and reports through the Orrery runtime (see plugins/serve-sim/README.md).
// A bad parameter is reported on stderr and as an error event, and the worker exits with
// status 2.

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <optional>
#include <span>
#include <string>

#include <orrery/runtime.hpp>

#include "calibration_store.hpp"
#include "sim/machine_speed.hpp"
#include "sim/placement_search.hpp"
#include "sim/rate_search.hpp"
#include "sim_options.hpp"

namespace {

using orrery::sim::SimOptions;

void report_summary(const orrery::serve::ServeSummary& s) {
  const std::pair<const char*, double> finals[] = {
      {"goodput_rps", s.goodput_rps},         {"slo_attainment", s.slo_attainment},   {"requests_per_s", s.requests_per_s},
      {"throughput_tokens_per_s", s.tokens_per_s}, {"ttft_p50_s", s.ttft.p50}, {"ttft_p90_s", s.ttft.p90},
      {"tpot_p50_s", s.tpot.p50},             {"tpot_p90_s", s.tpot.p90},             {"e2e_p50_s", s.e2e.p50},
      {"e2e_p90_s", s.e2e.p90}};
  for (const auto& [name, v] : finals) orrery::metric(name, 0, v);
}

// Infinite-LLM spanning: how much KV was borrowed, and each instance's KV occupancy (step =
// instance), its own and lent; what was still lent or held at the end (0 in a correct run).
void report_spanning(const orrery::sim::SimStats& st) {
  orrery::metric("spanning_requests", 0, st.spanning_requests);
  orrery::metric("kv_borrowed_tokens", 0, static_cast<double>(st.kv_borrowed_tokens));
  orrery::metric("max_kv_lent_tokens", 0, static_cast<double>(st.max_kv_lent_tokens));
  orrery::metric("kv_lent_at_end", 0, static_cast<double>(st.kv_lent_at_end));
  const orrery::Metric occupancy("instance_max_kv_occupancy"), held("instance_kv_at_end");
  for (std::size_t i = 0; i < st.instance_max_kv_tokens.size(); ++i) {
    occupancy.log(static_cast<std::int64_t>(i), static_cast<double>(st.instance_max_kv_tokens[i]) / static_cast<double>(st.kv_capacity_tokens));
    held.log(static_cast<std::int64_t>(i), static_cast<double>(st.instance_kv_at_end[i]));
  }
  std::printf("orrery-serve-sim: kv_spanning: %d requests borrowed %ld tokens of KV (at most %ld lent at once, %ld at the end)\n",
              st.spanning_requests, st.kv_borrowed_tokens, st.max_kv_lent_tokens, st.kv_lent_at_end);
}

void simulate_one(const SimOptions& o, const std::vector<orrery::serve::TraceEntry>& requests) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = orrery::sim::simulate(o.cluster, requests);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto s = orrery::serve::summarize(r.timings, o.slo);
  if (o.replicas > 1) {
    // The same workload under other draws of a calibrated model's jitter: the latency
    // percentiles and the attainment pool every replica's requests, the rates are their means.
    std::vector<orrery::serve::RequestTiming> pooled = r.timings;
    double requests_per_s = s.requests_per_s, tokens_per_s = s.tokens_per_s, goodput_rps = s.goodput_rps;
    for (int k = 1; k < o.replicas; ++k) {
      auto cluster = o.cluster;
      cluster.jitter_seed = o.cluster.jitter_seed + static_cast<std::uint64_t>(k);
      const auto more = orrery::sim::simulate(cluster, requests);
      const auto sk = orrery::serve::summarize(more.timings, o.slo);
      requests_per_s += sk.requests_per_s, tokens_per_s += sk.tokens_per_s, goodput_rps += sk.goodput_rps;
      pooled.insert(pooled.end(), more.timings.begin(), more.timings.end());
    }
    s = orrery::serve::summarize(pooled, o.slo);
    s.requests_per_s = requests_per_s / o.replicas;
    s.tokens_per_s = tokens_per_s / o.replicas;
    s.goodput_rps = goodput_rps / o.replicas;
  }
  if (requests.size() <= static_cast<std::size_t>(o.per_request_limit)) {
    const orrery::Metric ttft("ttft_s"), tpot("tpot_s"), e2e("e2e_s"), met("slo_met");
    for (std::size_t i = 0; i < r.timings.size(); ++i) {
      const auto id = static_cast<std::int64_t>(i);
      ttft.log(id, orrery::serve::ttft(r.timings[i]));
      if (r.timings[i].output_tokens > 1) tpot.log(id, orrery::serve::tpot(r.timings[i]));
      e2e.log(id, orrery::serve::e2e_latency(r.timings[i]));
      met.log(id, orrery::serve::meets(r.timings[i], o.slo) ? 1.0 : 0.0);
    }
  }
  report_summary(s);
  orrery::metric("events", 0, static_cast<double>(r.stats.events));
  orrery::metric("events_per_s", 0, static_cast<double>(r.stats.events) / std::max(wall, 1e-9));
  orrery::metric("sim_wall_s", 0, wall);
  orrery::metric("goodput_per_gpu", 0, s.goodput_rps / o.cluster.gpus());
  orrery::metric("max_batch", 0, r.stats.max_batch);
  orrery::metric("max_kv_tokens", 0, static_cast<double>(r.stats.max_kv_tokens));
  if (o.cluster.kv_spanning) report_spanning(r.stats);
  if (!r.stats.kv_transfer_s.empty()) {  // disaggregated: the simulated transfers, to set against gpt-serve's spans
    const auto transfers = orrery::serve::percentiles(r.stats.kv_transfer_s);
    orrery::metric("kv_transfer_p50_s", 0, transfers.p50);
    orrery::metric("kv_transfer_p90_s", 0, transfers.p90);
    orrery::metric("kv_transfer_count", 0, static_cast<double>(r.stats.kv_transfer_s.size()));
  }
  if (o.cluster.link_sharing) {
    orrery::metric("link_bytes_started", 0, r.stats.link_bytes_started);
    orrery::metric("link_bytes_delivered", 0, r.stats.link_bytes_delivered);
  }
  std::printf("orrery-serve-sim: %s on %d GPUs, %zu requests: goodput %.3f req/s (%.1f %% met the SLOs), TTFT p50 %.4f s p90 %.4f s, "
              "TPOT p50 %.4f s p90 %.4f s; %llu events in %.3f s\n",
              orrery::sim::describe(o.cluster).c_str(), o.cluster.gpus(), requests.size(), s.goodput_rps, 100 * s.slo_attainment,
              s.ttft.p50, s.ttft.p90, s.tpot.p50, s.tpot.p90, static_cast<unsigned long long>(r.stats.events), wall);
}

void search(const SimOptions& o, const std::vector<orrery::serve::TraceEntry>& requests) {
  orrery::sim::SearchSpace space;
  space.max_instances = o.max_instances;
  space.batch_limits = o.batch_limits;
  space.shape = o.cluster.shape;
  space.cost = o.cluster.cost;
  const auto r = orrery::sim::search_placements(space, requests, o.slo);
  const orrery::Metric per_gpu("goodput_per_gpu"), attainment("slo_attainment");
  for (std::size_t i = 0; i < r.tried.size(); ++i) {
    const auto& k = r.tried[i];
    per_gpu.log(static_cast<std::int64_t>(i), k.goodput_per_gpu);
    attainment.log(static_cast<std::int64_t>(i), k.summary.slo_attainment);
    orrery::event("candidate", std::to_string(i) + ": " + orrery::sim::describe(k.cluster) + ", goodput/GPU " + std::to_string(k.goodput_per_gpu), static_cast<std::int64_t>(i));
  }
  orrery::metric("best_colocated_goodput_per_gpu", 0, r.best_colocated.goodput_per_gpu);
  orrery::metric("best_disaggregated_goodput_per_gpu", 0, r.best_disaggregated.goodput_per_gpu);
  orrery::metric("disaggregated_over_colocated", 0, r.disaggregated_over_colocated);
  // DistServe's figure for each winner: the highest rate per GPU at the target attainment
  // (bisection over the workload's rate; not for a trace, whose arrivals are fixed).
  std::string rates;
  if (o.workload.trace.empty()) {
    const auto colocated = orrery::sim::max_rate_at_attainment(r.best_colocated.cluster, o.workload, o.slo, o.attainment_target);
    const auto disaggregated = orrery::sim::max_rate_at_attainment(r.best_disaggregated.cluster, o.workload, o.slo, o.attainment_target);
    orrery::metric("best_colocated_max_rate_per_gpu", 0, colocated.max_rate_per_gpu);
    orrery::metric("best_disaggregated_max_rate_per_gpu", 0, disaggregated.max_rate_per_gpu);
    rates = "; max rate per GPU at " + std::to_string(o.attainment_target) + " attainment: colocated " +
            std::to_string(colocated.max_rate_per_gpu) + ", disaggregated " + std::to_string(disaggregated.max_rate_per_gpu) + " req/s";
  }
  const std::string line = "best colocated: " + orrery::sim::describe(r.best_colocated.cluster) + " (" +
                           std::to_string(r.best_colocated.goodput_per_gpu) + " req/s per GPU); best disaggregated: " +
                           orrery::sim::describe(r.best_disaggregated.cluster) + " (" + std::to_string(r.best_disaggregated.goodput_per_gpu) +
                           " req/s per GPU); ratio " + std::to_string(r.disaggregated_over_colocated) + rates;
  orrery::event("search", line);
  std::printf("orrery-serve-sim: %zu placements tried; %s\n", r.tried.size(), line.c_str());
}

// Fits the cost model to a gpt-serve run of the project and keeps it in this run's folder.
void calibrate(const SimOptions& o) {
  const auto project = orrery::sim::worker_project_dir();
  // Several runs pool their iterations (runs before and after another one average the
  // machine's load over it).
  std::vector<orrery::sim::CalibrationSamples> runs;
  for (const auto& run : o.calibrate_from) runs.push_back(orrery::sim::read_gpt_serve_samples(project, run));
  orrery::sim::CalibrationSamples samples;
  for (const auto& run : runs) orrery::sim::append_samples(samples, run);
  // Fitting runs that saw the machine at different speeds (others' processes came or went)
  // are brought to their pooled speed first: each run's iteration times x pooled / its own
  // probe_speed, so the fit is of one machine and speed_of scales from it.
  bool all_probed = runs.size() > 1;
  for (const auto& run : runs) all_probed = all_probed && !run.speed.probe_s.empty();
  if (all_probed) {
    const double pooled = orrery::sim::probe_speed(samples.speed);
    std::string scales;
    samples = {};
    for (auto& run : runs) {
      const double scale = orrery::sim::speed_scale(pooled, orrery::sim::probe_speed(run.speed));
      for (auto& p : run.prefill) p.seconds *= scale;
      for (auto& d : run.decode) d.seconds *= scale;
      orrery::sim::append_samples(samples, run);
      scales += (scales.empty() ? "" : ", ") + run.run_id + " x" + std::to_string(scale);
    }
    std::printf("orrery-serve-sim: iteration times brought to the fitting runs' pooled machine speed: %s\n", scales.c_str());
  }
  auto fit = orrery::sim::fit_cost_model(samples.prefill, samples.decode, o.cluster.cost);
  fit.model.wake_delay_s = orrery::sim::spread_quantiles(samples.wake_delays);
  // The fitting runs' machine speed, for simulating another run's (speed_of); runs served
  // without probes leave it out.
  std::optional<orrery::sim::MachineSpeed> speed;
  if (!samples.speed.probe_s.empty()) speed = orrery::sim::machine_speed(samples.speed);
  // The KV transfers of disaggregated runs; colocated runs have none, and the calibration
  // says so (simulations keep kv_gbps then).
  std::optional<orrery::sim::KvTransferFit> kv;
  std::string kv_not_fitted;
  try {
    kv = orrery::sim::fit_kv_transfer(samples.kv_transfers);
  } catch (const std::invalid_argument& e) {
    kv_not_fitted = e.what();
    if (samples.kv_transfers_without_size > 0)
      kv_not_fitted += " (" + std::to_string(samples.kv_transfers_without_size) +
                       " more transfers without their size, kv_transfer_bytes: served by a gpt-serve from before it)";
  }
  orrery::sim::write_calibration(orrery::run_dir(), samples.run_id, fit, speed, kv, kv_not_fitted);
  if (kv) {
    const std::pair<const char*, double> kv_fitted[] = {{"fit_kv_transfer_fixed_ms", kv->fixed_s * 1e3},
                                                        {"fit_kv_gbps", kv->bytes_per_s / 1e9},
                                                        {"fit_kv_transfer_samples", static_cast<double>(kv->samples)},
                                                        {"fit_kv_transfer_rms_ms", kv->rms_s * 1e3}};
    for (const auto& [name, v] : kv_fitted) orrery::metric(name, 0, v);
    std::printf("orrery-serve-sim: KV transfers fitted: %.4f ms + bytes / %.3f GB/s (%zu transfers, mean %.4f ms, rms %.4f ms)\n",
                kv->fixed_s * 1e3, kv->bytes_per_s / 1e9, kv->samples, kv->mean_s * 1e3, kv->rms_s * 1e3);
  } else {
    std::printf("orrery-serve-sim: KV transfers not fitted (simulations keep kv_gbps): %s\n", kv_not_fitted.c_str());
  }
  const auto& m = fit.model;
  const std::pair<const char*, double> fitted[] = {
      {"fit_prefill_fixed_ms", m.prefill_fixed_s * 1e3},  {"fit_prefill_ms_per_token", m.prefill_s_per_token * 1e3},
      {"fit_prefill_ns_per_attention_pair", m.prefill_s_per_attention_pair * 1e9},
      {"fit_decode_fixed_ms", m.decode_fixed_s * 1e3},    {"fit_decode_ms_per_seq", m.decode_s_per_seq * 1e3},
      {"fit_decode_us_per_context_token", m.decode_s_per_context_token * 1e6},
      {"fit_prefill_samples", static_cast<double>(fit.prefill_samples)},
      {"fit_decode_samples", static_cast<double>(fit.decode_samples)},
      {"fit_prefill_rms_ms", fit.prefill_rms_s * 1e3},    {"fit_decode_rms_ms", fit.decode_rms_s * 1e3},
      {"fit_speed_probe_s", speed ? speed->slowness() : 0.0}};
  for (const auto& [name, v] : fitted) orrery::metric(name, 0, v);
  char line[512];
  std::snprintf(line, sizeof line,
                "fitted to %s: prefill %.4f ms + %.5f ms/token + %.3f ns/attention pair (%zu iterations, mean %.3f ms, rms %.3f ms); decode %.4f ms + %.5f "
                "ms/seq + %.4f us/context token (%zu steps, mean %.3f ms, rms %.3f ms)",
                samples.run_id.c_str(), m.prefill_fixed_s * 1e3, m.prefill_s_per_token * 1e3, m.prefill_s_per_attention_pair * 1e9, fit.prefill_samples,
                fit.prefill_mean_s * 1e3, fit.prefill_rms_s * 1e3, m.decode_fixed_s * 1e3, m.decode_s_per_seq * 1e3,
                m.decode_s_per_context_token * 1e6, fit.decode_samples, fit.decode_mean_s * 1e3, fit.decode_rms_s * 1e3);
  orrery::event("calibration", line);
  std::printf("orrery-serve-sim: %s\n", line);
}

// The calibration's fitted costs, at the machine speed asked for (speed_of or speed_scale).
void apply_calibration(SimOptions& o) {
  const auto project = orrery::sim::worker_project_dir();
  std::optional<orrery::sim::MachineSpeed> fitted;
  bool kv_fitted = false;
  o.cluster.cost = orrery::sim::read_calibration(project, o.calibration, o.cluster.cost, &fitted, o.kv_gbps_given, &kv_fitted);
  if (o.cluster.placement == "disaggregated")
    std::printf("orrery-serve-sim: KV transfers: %.4f ms + bytes / %.3f GB/s (%s)\n", o.cluster.cost.kv_transfer_fixed_s * 1e3,
                o.cluster.cost.kv_bandwidth_bytes_per_s / 1e9,
                !kv_fitted ? "kv_gbps: the calibration did not fit them" : o.kv_gbps_given ? "kv_gbps given: replaces the calibration's fit" : "the calibration's fit");
  if (!o.speed_of.empty()) {
    if (!fitted)
      throw std::runtime_error("--speed_of: calibration " + o.calibration +
                               " has no machine speed (speed_probe_s): its fitting runs were served without speed probes");
    const auto run = orrery::sim::machine_speed(orrery::sim::read_speed_probes(project, o.speed_of));
    const double scale = orrery::sim::speed_scale(run.slowness(), fitted->slowness());
    std::printf("orrery-serve-sim: machine speed of %s: probe %.1f us x contention %.3f against the fit's %.1f us x %.3f: x%.3f (%s)\n",
                o.speed_of.c_str(), run.probe_s * 1e6, run.contention, fitted->probe_s * 1e6, fitted->contention, scale,
                o.speed_model.c_str());
    orrery::metric("speed_scale", 0, scale);
    orrery::metric("speed_probe_ratio", 0, run.probe_s / fitted->probe_s);
    orrery::metric("contention_ratio", 0, run.contention / fitted->contention);
    orrery::metric("fit_contention", 0, fitted->contention);
    if (o.speed_model == "uniform") {
      o.cluster.cost = orrery::sim::at_speed(o.cluster.cost, scale);
    } else {
      o.cluster.cost = orrery::sim::at_speed(o.cluster.cost, orrery::sim::speed_scale(run.probe_s, fitted->probe_s));
      o.cluster.cost = orrery::sim::with_contention(o.cluster.cost, run.contention / fitted->contention);
    }
  } else if (o.speed_scale != 0) {
    o.cluster.cost = orrery::sim::at_speed(o.cluster.cost, o.speed_scale);
    orrery::metric("speed_scale", 0, o.speed_scale);
  }
}

}  // namespace

int main(int argc, char** argv) {
  orrery::init();
  try {
    bool help = false;
    auto o = orrery::sim::parse_sim_options(std::span<char* const>(argv + 1, static_cast<std::size_t>(argc - 1)), help);
    if (help) {
      std::fputs(orrery::sim::kSimUsage, stdout);
    } else if (o.mode == "calibrate") {
      calibrate(o);
    } else {
      if (!o.calibration.empty()) apply_calibration(o);
      if (o.jitter == "independent") {  // the sequences' time order ignored: the quantiles, drawn independently
        o.cluster.cost.prefill_jitter_runs.clear();
        o.cluster.cost.decode_jitter_runs.clear();
      }
      const auto requests = orrery::serve::workload_entries(o.workload);
      if (o.mode == "search")
        search(o, requests);
      else
        simulate_one(o, requests);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-serve-sim: %s\n", e.what());
    orrery::event("error", e.what());
    std::fflush(stderr);
    orrery::shutdown();
    return 2;
  }
  std::fflush(stdout);
  orrery::shutdown();
  return 0;
}
