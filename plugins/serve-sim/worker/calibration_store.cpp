#include "calibration_store.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <orrery/runtime.hpp>

#include "runfiles/project.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "runfiles/run_record.hpp"

namespace orrery::sim {

namespace {

namespace fs = std::filesystem;
constexpr const char* kCalibrationFile = "calibration.json";
constexpr const char* kCalibrationFormat = "orrery-serve-sim-calibration";

// runs/<id> of a run the user named, resolved among the project's runs only.
fs::path named_run(const fs::path& project_dir, const std::string& query, std::string& id) {
  const auto project = runfiles::open_project(project_dir, false);
  id = runfiles::resolve_run(project, query);
  return runfiles::run_path(project, id);
}

// step -> value of one rank's series.
std::map<std::int64_t, double> by_step(const runfiles::RunH5Reader& h5, int rank, const std::string& name) {
  const auto data = h5.read_series({"metrics", rank, name});
  std::map<std::int64_t, double> out;
  for (std::size_t i = 0; i < data.steps.size(); ++i) out[data.steps[i]] = data.values[i];
  return out;
}

// runs/<id> of a gpt-serve run the user named; throws for a run of another kind.
fs::path gpt_serve_run(const fs::path& project_dir, const std::string& query, std::string& id, runfiles::RunRecord& record) {
  const fs::path dir = named_run(project_dir, query, id);
  record = runfiles::read_run_record(dir);
  if (record.kind != "gpt-serve")
    throw std::runtime_error("run " + id + " is a " + record.kind + " run: calibration fits a gpt-serve run");
  return dir;
}

bool has_series(const std::vector<runfiles::SeriesKey>& series, int rank, const char* name) {
  for (const auto& k : series)
    if (k.group == "metrics" && k.rank == rank && k.name == name) return true;
  return false;
}

// A rank's speed probes and its CPU account between them into out.
void add_speed_probes(SpeedProbes& out, const runfiles::RunH5Reader& h5, int rank, const std::vector<runfiles::SeriesKey>& series) {
  if (!has_series(series, rank, "speed_probe_s")) return;
  for (const auto& [step, seconds] : by_step(h5, rank, "speed_probe_s")) out.probe_s.push_back(seconds);
  if (has_series(series, rank, "cpu_running_s") && has_series(series, rank, "cpu_waiting_s")) {
    for (const auto& [step, seconds] : by_step(h5, rank, "cpu_running_s")) out.running_s += seconds;
    for (const auto& [step, seconds] : by_step(h5, rank, "cpu_waiting_s")) out.waiting_s += seconds;
  }
}

}  // namespace

fs::path worker_project_dir() {
  const std::string run = orrery::run_dir();
  if (run.empty()) throw std::runtime_error("calibration reads the project's runs: start this worker through orrery run");
  return fs::path(run).parent_path().parent_path();
}

CalibrationSamples read_gpt_serve_samples(const fs::path& project, const std::string& run) {
  CalibrationSamples out;
  runfiles::RunRecord record;
  const fs::path dir = gpt_serve_run(project, run, out.run_id, record);
  if (record.status != runfiles::RunStatus::Succeeded)
    throw std::runtime_error("run " + out.run_id + " has not succeeded (" + runfiles::to_string(record.status) +
                             "): calibration fits a finished gpt-serve run");
  const runfiles::RunH5Reader h5(dir / "run.h5");
  const auto series = h5.list_series();
  auto has = [&](int rank, const char* name) { return has_series(series, rank, name); };
  for (const int rank : h5.span_ranks()) {
    // In the order the rank ran them: the jitter sequences keep the time order.
    auto spans = h5.read_spans(rank);
    std::stable_sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    const int rank_series = out.series++;
    std::map<std::int64_t, double> tokens, pairs, batch, context;
    if (has(rank, "prefill_tokens") && has(rank, "prefill_attention_pairs")) {
      tokens = by_step(h5, rank, "prefill_tokens");
      pairs = by_step(h5, rank, "prefill_attention_pairs");
    }
    add_speed_probes(out.speed, h5, rank, series);
    if (has(rank, "wake_delay_s"))
      for (const auto& [step, seconds] : by_step(h5, rank, "wake_delay_s")) out.wake_delays.push_back(seconds);
    if (has(rank, "decode_batch") && has(rank, "decode_context_tokens")) {
      batch = by_step(h5, rank, "decode_batch");
      context = by_step(h5, rank, "decode_context_tokens");
    }
    std::map<std::int64_t, double> kv_bytes;
    if (has(rank, "kv_transfer_bytes")) kv_bytes = by_step(h5, rank, "kv_transfer_bytes");
    for (const auto& s : spans) {
      const double seconds = s.end - s.start;
      // The receive as the decode rank ran it (waiting for the rank to get to it is queueing,
      // which the simulator has of its own).
      if (s.kind == "comm" && s.name == "kv transfer") {
        if (kv_bytes.contains(s.step))
          out.kv_transfers.push_back({kv_bytes[s.step], seconds});
        else
          ++out.kv_transfers_without_size;
      }
      if (s.kind != "compute") continue;
      if (s.name == "prefill" && tokens.contains(s.step) && pairs.contains(s.step))
        out.prefill.push_back({tokens[s.step], seconds, pairs[s.step], rank_series});
      if (s.name == "decode" && batch.contains(s.step) && context.contains(s.step))
        out.decode.push_back({batch[s.step], context[s.step], seconds, rank_series});
    }
  }
  if (out.prefill.empty() && out.decode.empty())
    throw std::runtime_error("run " + out.run_id +
                             " has no prefill or decode iterations with their batch sizes (prefill_tokens, prefill_attention_pairs, "
                             "decode_batch, decode_context_tokens): served by a gpt-serve from before calibration?");
  return out;
}

namespace {

std::vector<double> to_milliseconds(const std::vector<double>& seconds) {
  std::vector<double> out;
  for (const double s : seconds) out.push_back(s * 1e3);
  return out;
}

}  // namespace

void append_samples(CalibrationSamples& into, const CalibrationSamples& more) {
  into.run_id += (into.run_id.empty() ? "" : ",") + more.run_id;
  for (auto s : more.prefill) {
    s.series += into.series;
    into.prefill.push_back(s);
  }
  for (auto s : more.decode) {
    s.series += into.series;
    into.decode.push_back(s);
  }
  into.kv_transfers.insert(into.kv_transfers.end(), more.kv_transfers.begin(), more.kv_transfers.end());
  into.kv_transfers_without_size += more.kv_transfers_without_size;
  into.series += more.series;
  into.wake_delays.insert(into.wake_delays.end(), more.wake_delays.begin(), more.wake_delays.end());
  into.speed.probe_s.insert(into.speed.probe_s.end(), more.speed.probe_s.begin(), more.speed.probe_s.end());
  into.speed.running_s += more.speed.running_s;
  into.speed.waiting_s += more.speed.waiting_s;
}

SpeedProbes read_speed_probes(const fs::path& project, const std::string& run) {
  std::string id;
  runfiles::RunRecord record;
  const fs::path dir = gpt_serve_run(project, run, id, record);
  const runfiles::RunH5Reader h5(dir / "run.h5");
  const auto series = h5.list_series();
  SpeedProbes out;
  for (const auto& key : series)
    if (key.group == "metrics" && key.name == "speed_probe_s") add_speed_probes(out, h5, key.rank, series);
  if (out.probe_s.empty())
    throw std::runtime_error("run " + id + " has no speed probes (speed_probe_s): served with speed_probe_ms=0 or by a gpt-serve from "
                             "before the probe, so its machine's speed is unknown");
  return out;
}

void write_calibration(const fs::path& run_dir, const std::string& source_run, const CostFit& fit,
                       const std::optional<MachineSpeed>& speed, const std::optional<KvTransferFit>& kv_transfer,
                       const std::string& kv_not_fitted) {
  const CostModel& m = fit.model;
  nlohmann::json j = {{"format", kCalibrationFormat},
                            {"format_version", 1},
                            {"source_run", source_run},
                            {"prefill_fixed_ms", m.prefill_fixed_s * 1e3},
                            {"prefill_ms_per_token", m.prefill_s_per_token * 1e3},
                            {"prefill_ns_per_attention_pair", m.prefill_s_per_attention_pair * 1e9},
                            {"decode_fixed_ms", m.decode_fixed_s * 1e3},
                            {"decode_ms_per_seq", m.decode_s_per_seq * 1e3},
                            {"decode_us_per_context_token", m.decode_s_per_context_token * 1e6},
                            {"prefill_samples", fit.prefill_samples},
                            {"decode_samples", fit.decode_samples},
                            {"prefill_rms_ms", fit.prefill_rms_s * 1e3},
                            {"decode_rms_ms", fit.decode_rms_s * 1e3},
                            {"prefill_jitter", m.prefill_jitter},
                            {"decode_jitter", m.decode_jitter},
                            {"prefill_jitter_runs", m.prefill_jitter_runs},
                            {"decode_jitter_runs", m.decode_jitter_runs},
                            {"jitter_block_steps", m.jitter_block_steps},
                            {"wake_delay_ms", to_milliseconds(m.wake_delay_s)}};
  if (speed) {  // the fitting runs' machine speed: the median probe, the contention and their product
    j["speed_probe_median_s"] = speed->probe_s;
    j["cpu_contention"] = speed->contention;
    j["speed_probe_s"] = speed->slowness();
  }
  j["kv_transfer_fitted"] = kv_transfer.has_value();
  if (kv_transfer) {
    j["kv_transfer_fixed_ms"] = kv_transfer->fixed_s * 1e3;
    j["kv_gbps"] = kv_transfer->bytes_per_s / 1e9;
    j["kv_transfer_samples"] = kv_transfer->samples;
    j["kv_transfer_rms_ms"] = kv_transfer->rms_s * 1e3;
    j["kv_transfer_mean_ms"] = kv_transfer->mean_s * 1e3;
  } else {
    j["kv_transfer_not_fitted"] = kv_not_fitted;
  }
  runfiles::write_file_atomically(run_dir / kCalibrationFile, j.dump(2) + "\n");
}

CostModel read_calibration(const fs::path& project, const std::string& run, const CostModel& base,
                           std::optional<MachineSpeed>* speed, bool keep_kv_cost, bool* kv_fitted) {
  std::string id;
  const fs::path file = named_run(project, run, id) / kCalibrationFile;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("run " + id + " has no " + kCalibrationFile + ": name a serve-sim run of mode calibrate");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("format") || j["format"] != kCalibrationFormat || !j.contains("format_version") ||
      j["format_version"] != 1)
    throw std::runtime_error(file.string() + ": not a serve-sim calibration (format " + kCalibrationFormat + ", version 1)");
  auto number = [&](const char* name, double unit) {
    if (!j.contains(name) || !j[name].is_number()) throw std::runtime_error(file.string() + ": " + name + " is missing or not a number");
    return j[name].get<double>() / unit;
  };
  CostModel m = base;
  m.prefill_fixed_s = number("prefill_fixed_ms", 1e3);
  m.prefill_s_per_token = number("prefill_ms_per_token", 1e3);
  m.prefill_s_per_attention_pair = number("prefill_ns_per_attention_pair", 1e9);
  m.decode_fixed_s = number("decode_fixed_ms", 1e3);
  m.decode_s_per_seq = number("decode_ms_per_seq", 1e3);
  m.decode_s_per_context_token = number("decode_us_per_context_token", 1e6);
  auto numbers = [&](const std::string& name, const nlohmann::json& array, std::size_t most) {
    std::vector<double> out;
    if (!array.is_array() || array.size() > most)
      throw std::runtime_error(file.string() + ": " + name + " is not an array of at most " + std::to_string(most) + " numbers");
    for (const auto& v : array) {
      if (!v.is_number()) throw std::runtime_error(file.string() + ": " + name + " holds something other than a number");
      out.push_back(v.get<double>());
    }
    return out;
  };
  auto factors = [&](const char* name) {
    return j.contains(name) ? numbers(name, j[name], 1000) : std::vector<double>{};  // absent: a fit without jitter
  };
  // Absent: a fit from before the sequences were kept; its quantiles are drawn independently.
  auto runs = [&](const char* name) {
    std::vector<std::vector<double>> out;
    if (!j.contains(name)) return out;
    if (!j[name].is_array() || j[name].size() > 256)
      throw std::runtime_error(file.string() + ": " + name + " is not an array of at most 256 sequences");
    for (const auto& sequence : j[name]) out.push_back(numbers(name, sequence, 1000000));
    return out;
  };
  m.prefill_jitter = factors("prefill_jitter");
  m.decode_jitter = factors("decode_jitter");
  m.prefill_jitter_runs = runs("prefill_jitter_runs");
  m.decode_jitter_runs = runs("decode_jitter_runs");
  for (const double ms : factors("wake_delay_ms")) m.wake_delay_s.push_back(ms / 1e3);
  // Absent: a calibration from before the KV transfers were fitted.
  const bool fitted_kv = j.contains("kv_transfer_fitted") && j["kv_transfer_fitted"] == true;
  if (kv_fitted) *kv_fitted = fitted_kv;
  if (fitted_kv && !keep_kv_cost) {
    m.kv_transfer_fixed_s = number("kv_transfer_fixed_ms", 1e3);
    m.kv_bandwidth_bytes_per_s = number("kv_gbps", 1e-9);
  }
  if (j.contains("jitter_block_steps")) m.jitter_block_steps = number("jitter_block_steps", 1);
  if (speed && j.contains("speed_probe_median_s")) {  // absent: fitted on runs without probes
    const MachineSpeed s{number("speed_probe_median_s", 1), number("cpu_contention", 1)};
    if (!(s.probe_s > 0 && s.contention >= 1))
      throw std::runtime_error(file.string() + ": speed_probe_median_s must be positive and cpu_contention at least 1");
    *speed = s;
  }
  try {
    validate(m, InstanceShape{});
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
  return m;
}

}  // namespace orrery::sim
