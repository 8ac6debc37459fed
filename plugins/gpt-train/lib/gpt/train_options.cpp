#include "gpt/train_options.hpp"

#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "gpt/name_value_options.hpp"

namespace orrery::gpt {

const char* const kUsage =
    "usage: orrery-gpt-train [--name=value ...]\n"
    "  Data-parallel GPT training; every parameter of plugins/gpt-train/kind.json is a\n"
    "  --name=value option (see plugins/gpt-train/README.md), e.g.\n"
    "  --corpus=kjv --preset=test --steps=100 --batch_size=8 --threads=2\n";

namespace {

template <class T>
void at_least(std::string_view name, T value, T min) {
  if (value < min) {
    std::ostringstream s;
    s << "must be at least " << min << ", got " << value;
    throw option_error(name, s.str());
  }
}

}  // namespace

const char* device_name(DeviceChoice d) {
  switch (d) {
    case DeviceChoice::cpu: return "cpu";
    case DeviceChoice::cuda: return "cuda";
    case DeviceChoice::automatic: break;
  }
  return "auto";
}

const char* precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }

std::string TrainOptions::config_json() const {
  std::ostringstream s;
  s << "{\"corpus\": \"" << (corpus.find('"') == std::string::npos ? corpus : "?") << "\", \"preset\": \"" << preset
    << "\", \"vocab\": " << model.vocab << ", \"context\": " << model.context << ", \"layers\": " << model.layers
    << ", \"heads\": " << model.heads << ", \"channels\": " << model.channels << ", \"batch_size\": " << batch_size
    << ", \"steps\": " << steps << ", \"lr\": " << lr << ", \"min_lr_ratio\": " << min_lr_ratio
    << ", \"warmup_steps\": " << warmup_steps << ", \"weight_decay\": " << weight_decay << ", \"grad_clip\": " << grad_clip
    << ", \"seed\": " << seed << ", \"device\": \"" << device_name(device) << "\", \"precision\": \""
    << precision_name(precision) << "\"" << ", \"zero_stage\": " << zero_stage << ", \"val_every\": " << val_every << "}";
  return s.str();
}

TrainOptions parse_train_options(std::span<char* const> args, bool& help) {
  TrainOptions o;
  help = false;
  int vocab = 0, context = -1, layers = 0, heads = 0, channels = 0;
  const OptionSetters setters = {
      {"corpus", text_option(o.corpus)},
      {"cache_dir", text_option(o.cache_dir)},
      {"val_every", number_option(o.val_every)},
      {"preset", text_option(o.preset)},
      {"vocab", number_option(vocab)},
      {"context", number_option(context)},
      {"layers", number_option(layers)},
      {"heads", number_option(heads)},
      {"channels", number_option(channels)},
      {"batch_size", number_option(o.batch_size)},
      {"steps", number_option(o.steps)},
      {"lr", number_option(o.lr)},
      {"min_lr_ratio", number_option(o.min_lr_ratio)},
      {"warmup_steps", number_option(o.warmup_steps)},
      {"weight_decay", number_option(o.weight_decay)},
      {"grad_clip", number_option(o.grad_clip)},
      {"seed", number_option(o.seed)},
      {"threads", number_option(o.threads)},
      {"device", OptionSetter([&o](std::string_view n, std::string_view t) {
         if (t == "auto") o.device = DeviceChoice::automatic;
         else if (t == "cpu") o.device = DeviceChoice::cpu;
         else if (t == "cuda") o.device = DeviceChoice::cuda;
         else throw option_error(n, "expects auto, cpu or cuda, got '" + std::string(t) + "'");
       })},
      {"precision", OptionSetter([&o](std::string_view n, std::string_view t) {
         if (t == "fp32") o.precision = Precision::fp32;
         else if (t == "bf16") o.precision = Precision::bf16;
         else throw option_error(n, "expects fp32 or bf16, got '" + std::string(t) + "'");
       })},
      {"bucket_mb", number_option(o.bucket_mb)},
      {"overlap", OptionSetter([&o](std::string_view n, std::string_view t) {
         if (t != "true" && t != "false") throw option_error(n, "expects true or false, got '" + std::string(t) + "'");
         o.overlap = t == "true";
       })},
      {"zero_stage", number_option(o.zero_stage)},
      {"val_interval", number_option(o.val_interval)},
      {"val_batches", number_option(o.val_batches)},
      {"sample_tokens", number_option(o.sample_tokens)},
      {"checkpoint_interval", number_option(o.checkpoint_interval)},
      {"checkpoint_dir", text_option(o.checkpoint_dir)},
      {"resume", text_option(o.resume)},
      {"stop_at_step", number_option(o.stop_at_step)},
  };
  help = apply_options(args, setters);
  if (help) return o;
  try {
    o.model = preset(o.preset);
  } catch (const std::invalid_argument& e) {
    throw option_error("preset", e.what());
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
    throw option_error("model", e.what());
  }
  at_least("batch_size", o.batch_size, 1);
  at_least<std::int64_t>("steps", o.steps, 1);
  if (!(o.lr > 0)) throw option_error("lr", "must be greater than 0");
  at_least("threads", o.threads, 1);
  if (o.precision == Precision::bf16 && o.device == DeviceChoice::cpu)
    throw option_error("precision", "bf16 runs only on the CUDA kernels (device=cuda or auto with a GPU); device=cpu is fp32");
  at_least("val_every", o.val_every, 2);
  at_least<std::int64_t>("warmup_steps", o.warmup_steps, 1);
  if (!(o.bucket_mb > 0)) throw option_error("bucket_mb", "must be greater than 0");
  if (o.zero_stage != 0 && o.zero_stage != 1)
    throw option_error("zero_stage", "must be 0 (replicated optimizer state) or 1 (sharded), got " +
                                         std::to_string(o.zero_stage));
  at_least<std::int64_t>("val_interval", o.val_interval, 1);
  at_least("val_batches", o.val_batches, 1);
  at_least("sample_tokens", o.sample_tokens, 0);
  at_least<std::int64_t>("checkpoint_interval", o.checkpoint_interval, 0);
  at_least<std::int64_t>("stop_at_step", o.stop_at_step, 0);
  return o;
}

}  // namespace orrery::gpt
