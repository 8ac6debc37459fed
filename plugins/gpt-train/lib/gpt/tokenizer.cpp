#include "gpt/tokenizer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <stdexcept>
#include <string_view>

namespace orrery::gpt {

namespace {

// Feeds SentencePiece's trainer the non-empty lines of a text held in memory.
class LineIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit LineIterator(const std::string& text) : text_(text) { Next(); }
  bool done() const override { return done_; }
  void Next() override {
    while (pos_ < text_.size()) {
      std::size_t end = text_.find('\n', pos_);
      if (end == std::string::npos) end = text_.size();
      line_.assign(text_, pos_, end - pos_);
      pos_ = end + 1;
      if (!line_.empty()) return;
    }
    done_ = true;
  }
  const std::string& value() const override { return line_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::string& text_;
  std::size_t pos_ = 0;
  std::string line_;
  bool done_ = false;
};

}  // namespace

std::string train_bpe_tokenizer(const std::string& text, int vocab) {
  LineIterator lines(text);
  std::string model;
  // One trainer thread: the model is then the same bytes on every run.
  const auto status = sentencepiece::SentencePieceTrainer::Train(
      {{"model_type", "bpe"},
       {"vocab_size", std::to_string(vocab)},
       {"character_coverage", "1.0"},
       {"num_threads", "1"},
       {"minloglevel", "2"},
       {"max_sentence_length", "65536"}},
      &lines, &model);
  if (!status.ok())
    throw std::runtime_error("vocab " + std::to_string(vocab) + " is too large for this corpus or invalid: " +
                             std::string(status.message()));
  return model;
}

Tokenizer::Tokenizer(const std::string& serialized_model) : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  const auto status = sp_->LoadFromSerializedProto(serialized_model);
  if (!status.ok()) throw std::runtime_error("cannot load the tokenizer: " + std::string(status.message()));
}

Tokenizer::~Tokenizer() = default;

int Tokenizer::vocab() const { return sp_->GetPieceSize(); }
int Tokenizer::line_separator() const { return sp_->eos_id(); }

std::vector<int> Tokenizer::encode(const std::string& text) const {
  std::vector<int> ids;
  std::vector<int> line_ids;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    line_ids.clear();
    const auto status = sp_->Encode(std::string_view(text).substr(pos, end - pos), &line_ids);
    if (!status.ok()) throw std::runtime_error("cannot encode: " + std::string(status.message()));
    ids.insert(ids.end(), line_ids.begin(), line_ids.end());
    ids.push_back(line_separator());
    pos = end + 1;
  }
  return ids;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string text;
  std::vector<int> line;
  auto flush = [&] {
    std::string piece;
    sp_->Decode(line, &piece);
    text += piece;
    line.clear();
  };
  for (int id : ids) {
    if (id == line_separator()) {
      flush();
      text += '\n';
    } else if (id >= 0 && id < vocab()) {
      line.push_back(id);
    }
  }
  flush();
  return text;
}

}  // namespace orrery::gpt
