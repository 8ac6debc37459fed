#include "serve/serve_options.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace orrery::serve {

const char* const kServeUsage =
    "usage: orrery-gpt-serve --checkpoint=FILE [--name=value ...]\n"
    "  Serves a gpt-train checkpoint to a generated workload; every parameter of\n"
    "  plugins/gpt-serve/kind.json is a --name=value option (see plugins/gpt-serve/README.md).\n";

namespace {

template <class T>
T parse_number(std::string_view name, std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || (std::is_floating_point_v<T> && !std::isfinite(static_cast<double>(v))))
    throw std::invalid_argument("--" + std::string(name) + ": expects " +
                                (std::is_integral_v<T> ? "an integer" : "a finite number") + ", got '" + std::string(text) + "'");
  return v;
}

}  // namespace

ServeOptions parse_serve_options(std::span<char* const> args, bool& help) {
  ServeOptions o;
  help = false;
  double slo_ttft_ms = 1000, slo_tpot_ms = 100, temperature = 0;
  std::int64_t seed = 1;
  using Setter = std::function<void(std::string_view, std::string_view)>;
  auto numeric = [](auto& field) {
    return Setter([&field](std::string_view n, std::string_view t) {
      field = parse_number<std::remove_reference_t<decltype(field)>>(n, t);
    });
  };
  auto text = [](std::string& field) { return Setter([&field](std::string_view, std::string_view t) { field = t; }); };
  auto& w = o.workload;
  const std::map<std::string, Setter, std::less<>> setters = {
      {"checkpoint", text(o.checkpoint)},   {"corpus", text(o.corpus)},
      {"cache_dir", text(o.cache_dir)},     {"val_every", numeric(o.val_every)},
      {"vocab", numeric(o.expect.vocab)},   {"context", numeric(o.expect.context)},
      {"layers", numeric(o.expect.layers)}, {"heads", numeric(o.expect.heads)},
      {"channels", numeric(o.expect.channels)},
      {"placement", text(o.placement)},     {"prefill_ranks", numeric(o.prefill_ranks)},
      {"batch_limit", numeric(o.batch_limit)}, {"kv_blocks", numeric(o.kv_blocks)},
      {"block_size", numeric(o.block_size)}, {"arrival", text(w.arrival)},
      {"rate", numeric(w.rate)},            {"gamma_shape", numeric(w.gamma_shape)},
      {"duration_s", numeric(w.duration_s)}, {"prompt_min", numeric(w.prompt.min)},
      {"prompt_max", numeric(w.prompt.max)}, {"output_min", numeric(w.output.min)},
      {"output_max", numeric(w.output.max)}, {"trace", text(w.trace)},
      {"temperature", numeric(temperature)}, {"top_k", numeric(o.sampling.top_k)},
      {"seed", numeric(seed)},              {"slo_ttft_ms", numeric(slo_ttft_ms)},
      {"slo_tpot_ms", numeric(slo_tpot_ms)}, {"threads", numeric(o.threads)},
  };
  o.expect = {0, 0, 0, 0, 0};
  for (const char* a : args) {
    const std::string_view arg(a);
    if (arg == "--help" || arg == "-h") {
      help = true;
      return o;
    }
    const auto eq = arg.find('=');
    if (!arg.starts_with("--") || eq == std::string_view::npos)
      throw std::invalid_argument("expected --name=value, got '" + std::string(arg) + "'");
    const auto name = arg.substr(2, eq - 2);
    const auto it = setters.find(name);
    if (it == setters.end()) throw std::invalid_argument("unknown option --" + std::string(name));
    it->second(name, arg.substr(eq + 1));
  }
  if (o.checkpoint.empty()) throw std::invalid_argument("--checkpoint: a gpt-train checkpoint file is required");
  if (o.placement != "colocated" && o.placement != "disaggregated")
    throw std::invalid_argument("--placement: colocated or disaggregated, got '" + o.placement + "'");
  if (o.prefill_ranks < 1) throw std::invalid_argument("--prefill_ranks: must be at least 1");
  if (o.kv_blocks < 1) throw std::invalid_argument("--kv_blocks: must be at least 1");
  if (o.block_size < 1) throw std::invalid_argument("--block_size: must be at least 1");
  if (o.threads < 1) throw std::invalid_argument("--threads: must be at least 1");
  if (o.val_every < 2) throw std::invalid_argument("--val_every: must be at least 2");
  if (o.batch_limit < 1) throw std::invalid_argument("--batch_limit: must be at least 1");
  if (seed < 0) throw std::invalid_argument("--seed: must not be negative");
  w.seed = static_cast<std::uint64_t>(seed);
  o.sampling.seed = static_cast<std::uint64_t>(seed);
  o.sampling.temperature = static_cast<float>(temperature);
  validate(o.sampling);
  o.slo = {slo_ttft_ms / 1000.0, slo_tpot_ms / 1000.0};
  validate(o.slo);
  validate(w);
  return o;
}

}  // namespace orrery::serve
