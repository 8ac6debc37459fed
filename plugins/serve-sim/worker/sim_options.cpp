#include "sim_options.hpp"

#include <cmath>
#include <stdexcept>

#include "gpt/name_value_options.hpp"
#include "serve/serve_options.hpp"

namespace orrery::sim {

const char* const kSimUsage =
    "usage: orrery-serve-sim [--name=value ...]\n"
    "  Simulates an LLM serving cluster (or searches its placements); every parameter of\n"
    "  plugins/serve-sim/kind.json is a --name=value option (see plugins/serve-sim/README.md).\n";

namespace {

// The comma-separated items of text, at most `most` of them.
std::vector<std::string_view> split_list(std::string_view name, std::string_view text, std::size_t most) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string_view::npos ? text.size() : comma;
    out.push_back(text.substr(start, end - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.size() > most) throw gpt::option_error(name, "at most " + std::to_string(most) + " values");
  return out;
}

bool parse_off_on(std::string_view name, const std::string& text) {
  if (text != "off" && text != "on") throw gpt::option_error(name, "off or on, got '" + text + "'");
  return text == "on";
}

std::vector<int> parse_int_list(std::string_view name, const std::string& text) {
  std::vector<int> out;
  for (const auto item : split_list(name, text, 16)) {
    const int v = gpt::parse_option_number<int>(name, item);
    if (v < 1 || v > 65536) throw gpt::option_error(name, "each value from 1 to 65536, got " + std::to_string(v));
    out.push_back(v);
  }
  return out;
}

}  // namespace

SimOptions parse_sim_options(std::span<char* const> args, bool& help) {
  SimOptions o;
  auto& c = o.cluster;
  auto& m = c.cost;
  auto& w = o.workload;
  double prefill_fixed_ms = 0, prefill_ms_per_token = 0.1, prefill_ns_per_attention_pair = 0, decode_fixed_ms = 10, decode_ms_per_seq = 0.1,
         decode_us_per_context_token = 0, kv_gib_per_gpu = 10, kv_gbps = 0, pp_hop_ms = 0, slo_ttft_ms = 1000, slo_tpot_ms = 100;
  std::int64_t seed = 1;
  std::string batch_limits = "4,8,16";
  std::string calibrate_from;
  std::string kv_spanning = "off", link_sharing = "off", kv_span_drain = "off";
  double kv_span_hop_ms = 0.1;
  using gpt::number_option, gpt::text_option;
  gpt::OptionSetters setters = {
      {"mode", text_option(o.mode)},
      {"placement", text_option(c.placement)},
      {"instances", number_option(c.instances)},
      {"prefill_instances", number_option(c.prefill_instances)},
      {"batch_limit", number_option(c.batch_limit)},
      {"dispatch", text_option(c.dispatch)},
      {"iteration", text_option(c.iteration)},
      {"calibrate_from", text_option(calibrate_from)},
      {"calibration", text_option(o.calibration)},
      {"speed_of", text_option(o.speed_of)},
      {"speed_scale", number_option(o.speed_scale)},
      {"speed_model", text_option(o.speed_model)},
      {"tp", number_option(c.shape.tp)},
      {"pp", number_option(c.shape.pp)},
      {"tp_efficiency", number_option(m.tp_efficiency)},
      {"pp_hop_ms", number_option(pp_hop_ms)},
      {"prefill_fixed_ms", number_option(prefill_fixed_ms)},
      {"prefill_ms_per_token", number_option(prefill_ms_per_token)},
      {"prefill_ns_per_attention_pair", number_option(prefill_ns_per_attention_pair)},
      {"decode_fixed_ms", number_option(decode_fixed_ms)},
      {"decode_ms_per_seq", number_option(decode_ms_per_seq)},
      {"decode_us_per_context_token", number_option(decode_us_per_context_token)},
      {"kv_bytes_per_token", number_option(m.kv_bytes_per_token)},
      {"kv_gib_per_gpu", number_option(kv_gib_per_gpu)},
      {"kv_gbps", number_option(kv_gbps)},
      {"kv_spanning", text_option(kv_spanning)},
      {"kv_span_hop_ms", number_option(kv_span_hop_ms)},
      {"kv_span_drain", text_option(kv_span_drain)},
      {"link_sharing", text_option(link_sharing)},
      {"seed", number_option(seed)},
      {"slo_ttft_ms", number_option(slo_ttft_ms)},
      {"slo_tpot_ms", number_option(slo_tpot_ms)},
      {"max_instances", number_option(o.max_instances)},
      {"batch_limits", text_option(batch_limits)},
      {"per_request_limit", number_option(o.per_request_limit)},
      {"replicas", number_option(o.replicas)},
      {"jitter", text_option(o.jitter)},
      {"attainment_target", number_option(o.attainment_target)},
  };
  serve::add_workload_setters(setters, w);
  help = gpt::apply_options(args, setters);
  if (help) return o;
  if (o.mode != "simulate" && o.mode != "search" && o.mode != "calibrate")
    throw std::invalid_argument("--mode: simulate, search or calibrate, got '" + o.mode + "'");
  if (o.mode == "calibrate" && calibrate_from.empty())
    throw std::invalid_argument("--calibrate_from: mode calibrate needs the gpt-serve run to fit");
  if (!calibrate_from.empty())
    for (const auto run : split_list("calibrate_from", calibrate_from, 8)) {
      if (run.empty()) throw gpt::option_error("calibrate_from", "an empty run name in '" + calibrate_from + "'");
      o.calibrate_from.emplace_back(run);
    }
  if (o.mode == "calibrate" && !o.calibration.empty())
    throw std::invalid_argument("--calibration: mode calibrate fits a model, it does not take one");
  if (!o.speed_of.empty() && o.speed_scale != 0)
    throw std::invalid_argument("--speed_of, --speed_scale: name the run whose machine speed to simulate or give the factor, not both");
  if ((!o.speed_of.empty() || o.speed_scale != 0) && o.calibration.empty())
    throw std::invalid_argument(std::string(o.speed_of.empty() ? "--speed_scale" : "--speed_of") +
                                ": scales a calibration's fitted costs to another machine speed; give calibration too");
  if (o.speed_scale != 0 && !(o.speed_scale >= 0.01 && o.speed_scale <= 100))
    throw std::invalid_argument("--speed_scale: from 0.01 to 100 (0: not given), got " + std::to_string(o.speed_scale));
  if (o.speed_model != "uniform" && o.speed_model != "preemptions")
    throw std::invalid_argument("--speed_model: uniform or preemptions, got '" + o.speed_model + "'");
  if (seed < 0) throw std::invalid_argument("--seed: must not be negative");
  if (o.per_request_limit < 0) throw std::invalid_argument("--per_request_limit: must not be negative");
  if (o.replicas < 1 || o.replicas > 1000) throw std::invalid_argument("--replicas: from 1 to 1000");
  if (o.jitter != "sequences" && o.jitter != "independent")
    throw std::invalid_argument("--jitter: sequences or independent, got '" + o.jitter + "'");
  if (!(o.attainment_target > 0 && o.attainment_target <= 1)) throw std::invalid_argument("--attainment_target: must be in (0, 1]");
  w.seed = static_cast<std::uint64_t>(seed);
  c.jitter_seed = static_cast<std::uint64_t>(seed);
  m.prefill_fixed_s = prefill_fixed_ms / 1e3;
  m.prefill_s_per_token = prefill_ms_per_token / 1e3;
  m.prefill_s_per_attention_pair = prefill_ns_per_attention_pair / 1e9;
  m.decode_fixed_s = decode_fixed_ms / 1e3;
  m.decode_s_per_seq = decode_ms_per_seq / 1e3;
  m.decode_s_per_context_token = decode_us_per_context_token / 1e6;
  m.kv_capacity_bytes_per_gpu = kv_gib_per_gpu * 1073741824.0;
  if (kv_gbps < 0 || !std::isfinite(kv_gbps)) throw std::invalid_argument("--kv_gbps: must be greater than 0 (0: not given, 10 or a calibration's fit)");
  o.kv_gbps_given = kv_gbps > 0;
  m.kv_bandwidth_bytes_per_s = (o.kv_gbps_given ? kv_gbps : 10.0) * 1e9;
  m.pp_hop_s = pp_hop_ms / 1e3;
  c.kv_spanning = parse_off_on("kv_spanning", kv_spanning);
  c.link_sharing = parse_off_on("link_sharing", link_sharing);
  c.kv_span_drain = parse_off_on("kv_span_drain", kv_span_drain);
  c.kv_span_hop_s = kv_span_hop_ms / 1e3;
  o.slo = {slo_ttft_ms / 1000.0, slo_tpot_ms / 1000.0};
  serve::validate(o.slo);
  serve::validate(w);
  if (o.mode == "search") {
    o.batch_limits = parse_int_list("batch_limits", batch_limits);
    validate(o.cluster.cost, o.cluster.shape);
  } else {
    validate(o.cluster);
  }
  return o;
}

}  // namespace orrery::sim
