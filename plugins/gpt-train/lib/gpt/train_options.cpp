#include "gpt/train_options.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace orrery::gpt {

const char* const kUsage =
    "usage: orrery-gpt-train [--name=value ...]\n"
    "  Data-parallel GPT training; every parameter of plugins/gpt-train/kind.json is a\n"
    "  --name=value option (see plugins/gpt-train/README.md), e.g.\n"
    "  --corpus=kjv --preset=test --steps=100 --batch_size=8 --threads=2\n";

namespace {

std::invalid_argument bad(std::string_view name, const std::string& why) {
  return std::invalid_argument("--" + std::string(name) + ": " + why);
}

template <class T>
T number(std::string_view name, std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw bad(name, std::string(std::is_integral_v<T> ? "expects an integer" : "expects a number") + ", got '" +
                        std::string(text) + "'");
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(v)) throw bad(name, "expects a finite number");
  return v;
}

template <class T>
void at_least(std::string_view name, T value, T min) {
  if (value < min) {
    std::ostringstream s;
    s << "must be at least " << min << ", got " << value;
    throw bad(name, s.str());
  }
}

}  // namespace

std::string TrainOptions::config_json() const {
  std::ostringstream s;
  s << "{\"corpus\": \"" << (corpus.find('"') == std::string::npos ? corpus : "?") << "\", \"preset\": \"" << preset
    << "\", \"vocab\": " << model.vocab << ", \"context\": " << model.context << ", \"layers\": " << model.layers
    << ", \"heads\": " << model.heads << ", \"channels\": " << model.channels << ", \"batch_size\": " << batch_size
    << ", \"steps\": " << steps << ", \"lr\": " << lr << ", \"min_lr_ratio\": " << min_lr_ratio
    << ", \"warmup_steps\": " << warmup_steps << ", \"weight_decay\": " << weight_decay << ", \"grad_clip\": " << grad_clip
    << ", \"seed\": " << seed << ", \"val_every\": " << val_every << "}";
  return s.str();
}

TrainOptions parse_train_options(std::span<char* const> args, bool& help) {
  TrainOptions o;
  help = false;
  int vocab = 0, context = -1, layers = 0, heads = 0, channels = 0;
  using Setter = std::function<void(std::string_view, std::string_view)>;
  auto numeric = [](auto& field) {
    return Setter([&field](std::string_view n, std::string_view t) {
      field = number<std::remove_reference_t<decltype(field)>>(n, t);
    });
  };
  auto text = [](std::string& field) { return Setter([&field](std::string_view, std::string_view t) { field = t; }); };
  const std::map<std::string, Setter, std::less<>> setters = {
      {"corpus", text(o.corpus)},
      {"cache_dir", text(o.cache_dir)},
      {"val_every", numeric(o.val_every)},
      {"preset", text(o.preset)},
      {"vocab", numeric(vocab)},
      {"context", numeric(context)},
      {"layers", numeric(layers)},
      {"heads", numeric(heads)},
      {"channels", numeric(channels)},
      {"batch_size", numeric(o.batch_size)},
      {"steps", numeric(o.steps)},
      {"lr", numeric(o.lr)},
      {"min_lr_ratio", numeric(o.min_lr_ratio)},
      {"warmup_steps", numeric(o.warmup_steps)},
      {"weight_decay", numeric(o.weight_decay)},
      {"grad_clip", numeric(o.grad_clip)},
      {"seed", numeric(o.seed)},
      {"threads", numeric(o.threads)},
      {"bucket_mb", numeric(o.bucket_mb)},
      {"overlap", Setter([&o](std::string_view n, std::string_view t) {
         if (t != "true" && t != "false") throw bad(n, "expects true or false, got '" + std::string(t) + "'");
         o.overlap = t == "true";
       })},
      {"val_interval", numeric(o.val_interval)},
      {"val_batches", numeric(o.val_batches)},
      {"sample_tokens", numeric(o.sample_tokens)},
      {"checkpoint_interval", numeric(o.checkpoint_interval)},
      {"checkpoint_dir", text(o.checkpoint_dir)},
      {"resume", text(o.resume)},
      {"stop_at_step", numeric(o.stop_at_step)},
  };
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
  try {
    o.model = preset(o.preset);
  } catch (const std::invalid_argument& e) {
    throw bad("preset", e.what());
  }
  if (vocab) o.model.vocab = vocab;
  if (context != -1) o.model.context = context;
  if (layers) o.model.layers = layers;
  if (heads) o.model.heads = heads;
  if (channels) o.model.channels = channels;
  at_least("context", o.model.context, 1);
  at_least("vocab", o.model.vocab, 8);
  try {
    o.model.validate();
  } catch (const std::invalid_argument& e) {
    throw bad("model", e.what());
  }
  at_least("batch_size", o.batch_size, 1);
  at_least<std::int64_t>("steps", o.steps, 1);
  if (!(o.lr > 0)) throw bad("lr", "must be greater than 0");
  at_least("threads", o.threads, 1);
  at_least("val_every", o.val_every, 2);
  at_least<std::int64_t>("warmup_steps", o.warmup_steps, 1);
  if (!(o.bucket_mb > 0)) throw bad("bucket_mb", "must be greater than 0");
  at_least<std::int64_t>("val_interval", o.val_interval, 1);
  at_least("val_batches", o.val_batches, 1);
  at_least("sample_tokens", o.sample_tokens, 0);
  at_least<std::int64_t>("checkpoint_interval", o.checkpoint_interval, 0);
  at_least<std::int64_t>("stop_at_step", o.stop_at_step, 0);
  return o;
}

}  // namespace orrery::gpt
