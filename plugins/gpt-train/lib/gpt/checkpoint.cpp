#include "gpt/checkpoint.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

#include "gpt/adamw.hpp"
#include "gpt/checkpoint_slices.hpp"
#include "gpt/h5_file.hpp"
#include "gpt/model.hpp"
#include "gpt/shard_range.hpp"

namespace orrery::gpt {

namespace {

constexpr const char* kFormat = "orrery-gpt-train-checkpoint";
constexpr std::int64_t kVersion = 1;

// One row per fragment: (rank, first element in the tensor, element count) that rank held.
std::vector<std::int64_t> fragment_rows(const TensorInfo& t, const std::vector<ShardRange>& rank_ranges) {
  std::vector<std::int64_t> rows;
  for (std::size_t r = 0; r < rank_ranges.size(); ++r) {
    const ShardRange part = intersect({t.offset, t.size}, rank_ranges[r]);
    if (part.count == 0) continue;
    rows.insert(rows.end(), {static_cast<std::int64_t>(r), static_cast<std::int64_t>(part.first - t.offset),
                             static_cast<std::int64_t>(part.count)});
  }
  return rows;
}

void describe_fragments(hid_t group, const TensorInfo& t, const std::vector<ShardRange>& rank_ranges,
                        const std::string& sharding) {
  const h5::Id set(H5Dopen2(group, t.name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + t.name);
  h5::set_attr(set.get(), "fragments", fragment_rows(t, rank_ranges), 3);
  h5::set_attr(set.get(), "sharding", sharding);
}

// The parameters: data parallel, every rank held the whole of each tensor.
void write_params(hid_t file, const Gpt& model, std::int64_t ranks) {
  const auto g = h5::create_group(file, "params");
  const std::vector<ShardRange> everything(static_cast<std::size_t>(ranks), ShardRange{0, model.params().size()});
  for (const auto& t : model.tensors()) {
    h5::write_floats(g.get(), t.name, t.shape, model.params().data() + t.offset);
    describe_fragments(g.get(), t, everything, "replicated");
  }
}

// The moments' datasets without values, each with the fragments the saving ranks held.
void create_moment_tensors(hid_t file, const char* group, const Gpt& model, const TrainingState& state) {
  const auto g = h5::create_group(file, group);
  const std::size_t total = model.params().size();
  const bool sharded = state.zero_stage > 0;
  const std::vector<ShardRange> held =
      sharded ? shards_of(total, static_cast<int>(state.ranks))
              : std::vector<ShardRange>(static_cast<std::size_t>(state.ranks), ShardRange{0, total});
  for (const auto& t : model.tensors()) {
    h5::create_floats(g.get(), t.name, t.shape);
    describe_fragments(g.get(), t, held, sharded ? "zero1" : "replicated");
  }
}

// values[i - range.first] is parameter i's; writes each tensor's part in range.
void write_moment_slice(hid_t file, const char* group, const Gpt& model, const std::vector<float>& values,
                        ShardRange range) {
  const auto g = h5::open_group(file, group);
  for (const auto& t : model.tensors()) {
    const ShardRange part = intersect({t.offset, t.size}, range);
    h5::write_floats_range(g.get(), t.name, static_cast<std::int64_t>(part.first - t.offset),
                           static_cast<std::int64_t>(part.count), values.data() + (part.first - range.first));
  }
}

// values[i - range.first] is parameter i's: reads each tensor's part in range.
void read_tensors(hid_t file, const char* group, const std::string& path, const Gpt& model, std::vector<float>& values,
                  ShardRange range) {
  if (!h5::exists(file, group)) throw std::runtime_error(path + ": no /" + std::string(group) + " group");
  const auto g = h5::open_group(file, group);
  for (const auto& t : model.tensors()) {
    if (!h5::exists(g.get(), t.name))
      throw std::runtime_error(path + ": tensor /" + std::string(group) + "/" + t.name + " missing");
    const auto shape = h5::dataset_shape(g.get(), t.name);
    if (shape != t.shape) {
      auto text = [](const std::vector<std::int64_t>& s) {
        std::string r = "(";
        for (std::size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
        return r + ")";
      };
      throw std::runtime_error(path + ": tensor " + t.name + " has shape " + text(shape) + " in the checkpoint, " +
                               text(t.shape) + " in this run");
    }
    const ShardRange part = intersect({t.offset, t.size}, range);
    h5::read_floats_range(g.get(), t.name, static_cast<std::int64_t>(part.first - t.offset),
                          static_cast<std::int64_t>(part.count), values.data() + (part.first - range.first));
  }
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string checkpoint_file_name(std::int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%07lld.h5", static_cast<long long>(step));
  return name;
}

std::string temporary_checkpoint_path(const std::string& path) { return path + ".tmp"; }

void write_checkpoint_head(const std::string& tmp, const Gpt& model, std::int64_t adam_t, const TrainingState& state) {
  const auto file = h5::create_file(tmp);
  const hid_t root = file.get();
  h5::set_attr(root, "format", std::string(kFormat));
  h5::set_attr(root, "version", kVersion);
  h5::set_attr(root, "step", state.step);
  h5::set_attr(root, "adam_t", adam_t);
  h5::set_attr(root, "seed", state.seed);
  h5::set_attr(root, "loader_position", state.loader_position);
  h5::set_attr(root, "sample_counter", state.sample_counter);
  h5::set_attr(root, "ranks", state.ranks);
  h5::set_attr(root, "zero_stage", state.zero_stage);
  h5::set_attr(root, "config_json", state.config_json);
  const auto m = h5::create_group(root, "model");
  const auto& c = model.config();
  h5::set_attr(m.get(), "vocab", c.vocab);
  h5::set_attr(m.get(), "context", c.context);
  h5::set_attr(m.get(), "layers", c.layers);
  h5::set_attr(m.get(), "heads", c.heads);
  h5::set_attr(m.get(), "channels", c.channels);
  write_params(root, model, state.ranks);
  create_moment_tensors(root, "adam_m", model, state);
  create_moment_tensors(root, "adam_v", model, state);
  const auto tok = h5::create_group(root, "tokenizer");
  h5::write_bytes(tok.get(), "sentencepiece_model", state.tokenizer);
  if (H5Fflush(root, H5F_SCOPE_GLOBAL) < 0) throw std::runtime_error("HDF5: cannot flush " + tmp);
}

void write_moment_slices(hid_t file, const Gpt& model, const AdamW& opt) {
  write_moment_slice(file, "adam_m", model, opt.m(), opt.range());
  write_moment_slice(file, "adam_v", model, opt.v(), opt.range());
}

void write_optimizer_slice(const std::string& tmp, const Gpt& model, const AdamW& opt) {
  const auto file = h5::open_file_rw(tmp);
  write_moment_slices(file.get(), model, opt);
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) throw std::runtime_error("HDF5: cannot flush " + tmp);
}

void publish_checkpoint(const std::string& tmp, const std::string& path) {
  // The data on disk before the name: a crash after the rename never finds a torn file.
  fsync_path(tmp, O_RDONLY);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
  fsync_path(std::filesystem::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

void save_checkpoint(const std::string& path, const Gpt& model, const AdamW& opt, const TrainingState& state) {
  if (opt.range() != ShardRange{0, model.params().size()})
    throw std::invalid_argument("save_checkpoint needs the moments of every parameter; this optimizer holds a slice");
  const std::string tmp = temporary_checkpoint_path(path);
  write_checkpoint_head(tmp, model, opt.t(), state);
  write_optimizer_slice(tmp, model, opt);
  publish_checkpoint(tmp, path);
}

ModelConfig checkpoint_model_config(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error("checkpoint " + path + " not found");
  const auto file = h5::open_file(path);
  if (!h5::has_attr(file.get(), "format") || h5::string_attr(file.get(), "format") != kFormat)
    throw std::runtime_error(path + " is not a gpt-train checkpoint (no format attribute '" + kFormat + "')");
  const auto version = h5::int_attr(file.get(), "version");
  if (version != kVersion)
    throw std::runtime_error(path + " is checkpoint format version " + std::to_string(version) + "; this build reads " +
                             std::to_string(kVersion));
  const auto m = h5::open_group(file.get(), "model");
  ModelConfig c;
  c.vocab = static_cast<int>(h5::int_attr(m.get(), "vocab"));
  c.context = static_cast<int>(h5::int_attr(m.get(), "context"));
  c.layers = static_cast<int>(h5::int_attr(m.get(), "layers"));
  c.heads = static_cast<int>(h5::int_attr(m.get(), "heads"));
  c.channels = static_cast<int>(h5::int_attr(m.get(), "channels"));
  return c;
}

TrainingState load_model_weights(const std::string& path, Gpt& model) {
  const ModelConfig saved = checkpoint_model_config(path);
  const ModelConfig& have = model.config();
  auto same = [&](const char* field, int a, int b) {
    if (a != b)
      throw std::runtime_error("checkpoint " + path + " has " + field + " " + std::to_string(a) + ", this run " +
                               std::to_string(b));
  };
  same("vocab", saved.vocab, have.vocab);
  same("context", saved.context, have.context);
  same("layers", saved.layers, have.layers);
  same("heads", saved.heads, have.heads);
  same("channels", saved.channels, have.channels);
  const auto file = h5::open_file(path);
  const hid_t root = file.get();
  read_tensors(root, "params", path, model, model.params(), {0, model.params().size()});
  TrainingState s;
  s.step = h5::int_attr(root, "step");
  s.seed = h5::int_attr(root, "seed");
  s.loader_position = h5::int_attr(root, "loader_position");
  s.sample_counter = h5::int_attr(root, "sample_counter");
  s.ranks = h5::int_attr(root, "ranks");
  s.zero_stage = h5::has_attr(root, "zero_stage") ? h5::int_attr(root, "zero_stage") : 0;
  s.config_json = h5::string_attr(root, "config_json");
  const auto tok = h5::open_group(root, "tokenizer");
  s.tokenizer = h5::read_bytes(tok.get(), "sentencepiece_model");
  return s;
}

TrainingState load_checkpoint(const std::string& path, Gpt& model, AdamW& opt) {
  TrainingState s = load_model_weights(path, model);
  const auto file = h5::open_file(path);
  const hid_t root = file.get();
  read_tensors(root, "adam_m", path, model, opt.m(), opt.range());
  read_tensors(root, "adam_v", path, model, opt.v(), opt.range());
  opt.set_t(h5::int_attr(root, "adam_t"));
  return s;
}

}  // namespace orrery::gpt
