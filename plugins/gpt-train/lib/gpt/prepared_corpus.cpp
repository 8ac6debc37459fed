#include "gpt/prepared_corpus.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gpt/text_corpus.hpp"
#include "gpt/token_file.hpp"
#include "gpt/tokenizer.hpp"

namespace orrery::gpt {

namespace fs = std::filesystem;

std::string content_hash(const std::string& bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Written under a temporary name and renamed: ranks that look at the same time see the
// whole file or none.
void store(const fs::path& p, const std::string& bytes) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

std::string corpus_text(const CorpusOptions& o) {
  if (o.corpus != kKjvCorpus) return read_corpus(o.corpus);
  const fs::path cached = fs::path(o.cache_dir) / "kjv.txt";
  if (fs::exists(cached)) return slurp(cached);
  std::string text = kjv_text();
  store(cached, text);
  return text;
}

}  // namespace

PreparedCorpus prepare_corpus(const CorpusOptions& o) {
  std::error_code ec;
  fs::create_directories(o.cache_dir, ec);
  if (!fs::is_directory(o.cache_dir)) throw std::runtime_error("cannot create cache folder " + o.cache_dir);
  const std::string text = corpus_text(o);
  const SplitText split = split_lines(text, o.val_every);
  const std::string text_key = content_hash(text) + "-e" + std::to_string(o.val_every);

  PreparedCorpus out;
  out.text_bytes = text.size();
  out.from_cache = true;
  if (!o.tokenizer_model.empty()) {
    out.tokenizer_model = o.tokenizer_model;
  } else {
    const fs::path model = fs::path(o.cache_dir) / (text_key + "-v" + std::to_string(o.vocab) + ".model");
    if (fs::exists(model)) {
      out.tokenizer_model = slurp(model);
    } else {
      out.tokenizer_model = train_bpe_tokenizer(split.train, o.vocab);
      store(model, out.tokenizer_model);
      out.from_cache = false;
    }
  }
  const Tokenizer tok(out.tokenizer_model);
  if (tok.vocab() != o.vocab)
    throw std::runtime_error("the tokenizer has " + std::to_string(tok.vocab()) + " tokens, the model's vocab is " +
                             std::to_string(o.vocab));
  const std::string tokens_key = text_key + "-t" + content_hash(out.tokenizer_model);
  for (auto [part, ids, name] : {std::tuple{&split.train, &out.train, "train"}, std::tuple{&split.val, &out.val, "val"}}) {
    const fs::path file = fs::path(o.cache_dir) / (tokens_key + "." + name + ".tok");
    if (fs::exists(file)) {
      *ids = read_token_file(file.string(), o.vocab);
    } else {
      *ids = tok.encode(*part);
      write_token_file(file.string(), *ids, o.vocab);
      out.from_cache = false;
    }
  }
  return out;
}

}  // namespace orrery::gpt
