// The corpus ready for training: its tokenizer and its training and validation token ids,
// built once and cached in a folder (the project's cache/gpt-train/), keyed by a hash of
// the text and of the tokenizer, so every rank and every later run reads the same files.
#pragma once

#include <string>
#include <vector>

namespace orrery::gpt {

struct CorpusOptions {
  std::string corpus;           // "kjv" or a UTF-8 text file
  std::string cache_dir;        // created when missing
  int vocab = 512;
  int val_every = 10;           // every val_every-th block of lines is validation
  std::string tokenizer_model;  // a serialized model to use (from a checkpoint); empty: train or reuse the cached one
};

struct PreparedCorpus {
  std::string tokenizer_model;
  std::vector<int> train, val;
  std::size_t text_bytes = 0;
  bool from_cache = false;  // nothing had to be trained or encoded
};

PreparedCorpus prepare_corpus(const CorpusOptions& options);

// 64-bit FNV-1a of bytes, printed as 16 hex digits: the cache's keys.
std::string content_hash(const std::string& bytes);

}  // namespace orrery::gpt
