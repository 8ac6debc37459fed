#include "gpt/checkpoint.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

#include "gpt/adamw.hpp"
#include "gpt/h5_file.hpp"
#include "gpt/model.hpp"

namespace orrery::gpt {

namespace {

constexpr const char* kFormat = "orrery-gpt-train-checkpoint";
constexpr std::int64_t kVersion = 1;

void write_tensors(hid_t file, const char* group, const Gpt& model, const std::vector<float>& values,
                   std::int64_t ranks) {
  const auto g = h5::create_group(file, group);
  for (const auto& t : model.tensors()) {
    h5::write_floats(g.get(), t.name, t.shape, values.data() + t.offset);
    // Data parallel: every rank held the whole tensor. One row per rank: (rank, first
    // element, element count) of the fragment it held.
    std::vector<std::int64_t> fragments;
    for (std::int64_t r = 0; r < ranks; ++r) fragments.insert(fragments.end(), {r, 0, static_cast<std::int64_t>(t.size)});
    const h5::Id set(H5Dopen2(g.get(), t.name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + t.name);
    h5::set_attr(set.get(), "fragments", fragments, 3);
    h5::set_attr(set.get(), "sharding", std::string("replicated"));
  }
}

void read_tensors(hid_t file, const char* group, const std::string& path, const Gpt& model, std::vector<float>& values) {
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
    h5::read_floats(g.get(), t.name, values.data() + t.offset, t.size);
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

void save_checkpoint(const std::string& path, const Gpt& model, const AdamW& opt, const TrainingState& state) {
  const std::string tmp = path + ".tmp";
  {
    const auto file = h5::create_file(tmp);
    const hid_t root = file.get();
    h5::set_attr(root, "format", std::string(kFormat));
    h5::set_attr(root, "version", kVersion);
    h5::set_attr(root, "step", state.step);
    h5::set_attr(root, "adam_t", opt.t());
    h5::set_attr(root, "seed", state.seed);
    h5::set_attr(root, "loader_position", state.loader_position);
    h5::set_attr(root, "sample_counter", state.sample_counter);
    h5::set_attr(root, "ranks", state.ranks);
    h5::set_attr(root, "config_json", state.config_json);
    const auto m = h5::create_group(root, "model");
    const auto& c = model.config();
    h5::set_attr(m.get(), "vocab", c.vocab);
    h5::set_attr(m.get(), "context", c.context);
    h5::set_attr(m.get(), "layers", c.layers);
    h5::set_attr(m.get(), "heads", c.heads);
    h5::set_attr(m.get(), "channels", c.channels);
    write_tensors(root, "params", model, model.params(), state.ranks);
    write_tensors(root, "adam_m", model, opt.m(), state.ranks);
    write_tensors(root, "adam_v", model, opt.v(), state.ranks);
    const auto tok = h5::create_group(root, "tokenizer");
    h5::write_bytes(tok.get(), "sentencepiece_model", state.tokenizer);
    if (H5Fflush(root, H5F_SCOPE_GLOBAL) < 0) throw std::runtime_error("HDF5: cannot flush " + tmp);
  }
  // The data on disk before the name: a crash after the rename never finds a torn file.
  fsync_path(tmp, O_RDONLY);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
  fsync_path(std::filesystem::path(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
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
  read_tensors(root, "params", path, model, model.params());
  TrainingState s;
  s.step = h5::int_attr(root, "step");
  s.seed = h5::int_attr(root, "seed");
  s.loader_position = h5::int_attr(root, "loader_position");
  s.sample_counter = h5::int_attr(root, "sample_counter");
  s.ranks = h5::int_attr(root, "ranks");
  s.config_json = h5::string_attr(root, "config_json");
  const auto tok = h5::open_group(root, "tokenizer");
  s.tokenizer = h5::read_bytes(tok.get(), "sentencepiece_model");
  return s;
}

TrainingState load_checkpoint(const std::string& path, Gpt& model, AdamW& opt) {
  TrainingState s = load_model_weights(path, model);
  const auto file = h5::open_file(path);
  const hid_t root = file.get();
  read_tensors(root, "adam_m", path, model, opt.m());
  read_tensors(root, "adam_v", path, model, opt.v());
  opt.set_t(h5::int_attr(root, "adam_t"));
  return s;
}

}  // namespace orrery::gpt
