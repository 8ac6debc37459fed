#include "serve/serve_options.hpp"

#include <stdexcept>

#include "gpt/name_value_options.hpp"

namespace orrery::serve {

const char* const kServeUsage =
    "usage: orrery-gpt-serve --checkpoint=FILE [--name=value ...]\n"
    "  Serves a gpt-train checkpoint to a generated workload; every parameter of\n"
    "  plugins/gpt-serve/kind.json is a --name=value option (see plugins/gpt-serve/README.md).\n";

void add_workload_setters(gpt::OptionSetters& setters, WorkloadOptions& w) {
  using gpt::number_option, gpt::text_option;
  setters.insert({
      {"arrival", text_option(w.arrival)},
      {"rate", number_option(w.rate)},
      {"gamma_shape", number_option(w.gamma_shape)},
      {"duration_s", number_option(w.duration_s)},
      {"prompt_min", number_option(w.prompt.min)},
      {"prompt_max", number_option(w.prompt.max)},
      {"output_min", number_option(w.output.min)},
      {"output_max", number_option(w.output.max)},
      {"trace", text_option(w.trace)},
      {"lengths", text_option(w.lengths)},
  });
}

ServeOptions parse_serve_options(std::span<char* const> args, bool& help) {
  ServeOptions o;
  help = false;
  double slo_ttft_ms = 1000, slo_tpot_ms = 100, temperature = 0;
  std::int64_t seed = 1;
  using gpt::number_option, gpt::text_option;
  auto& w = o.workload;
  gpt::OptionSetters setters = {
      {"checkpoint", text_option(o.checkpoint)},
      {"corpus", text_option(o.corpus)},
      {"cache_dir", text_option(o.cache_dir)},
      {"val_every", number_option(o.val_every)},
      {"vocab", number_option(o.expect.vocab)},
      {"context", number_option(o.expect.context)},
      {"layers", number_option(o.expect.layers)},
      {"heads", number_option(o.expect.heads)},
      {"channels", number_option(o.expect.channels)},
      {"placement", text_option(o.placement)},
      {"prefill_ranks", number_option(o.prefill_ranks)},
      {"batch_limit", number_option(o.batch_limit)},
      {"kv_blocks", number_option(o.kv_blocks)},
      {"block_size", number_option(o.block_size)},
      {"temperature", number_option(temperature)},
      {"top_k", number_option(o.sampling.top_k)},
      {"seed", number_option(seed)},
      {"slo_ttft_ms", number_option(slo_ttft_ms)},
      {"slo_tpot_ms", number_option(slo_tpot_ms)},
      {"threads", number_option(o.threads)},
      {"prompt_wait_s", number_option(o.prompt_wait_s)},
      {"answer_tokens", number_option(o.answer_tokens)},
      {"speed_probe_ms", number_option(o.speed_probe_ms)},
  };
  add_workload_setters(setters, w);
  o.expect = {0, 0, 0, 0, 0};
  help = gpt::apply_options(args, setters);
  if (help) return o;
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
  if (!(o.prompt_wait_s >= 0)) throw std::invalid_argument("--prompt_wait_s: must not be negative");
  if (o.answer_tokens < 1) throw std::invalid_argument("--answer_tokens: must be at least 1");
  if (!(o.speed_probe_ms == 0 || (o.speed_probe_ms >= 1 && o.speed_probe_ms <= 60000)))
    throw std::invalid_argument("--speed_probe_ms: 0 (off) or from 1 to 60000 ms");
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
