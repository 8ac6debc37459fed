// BPE tokenizer over SentencePiece (libsentencepiece): trained on the training text, kept
// as its serialized model (cached in the project, stored in every checkpoint). Text is
// encoded line by line with the end-of-sentence id between lines, since SentencePiece
// treats a newline as whitespace.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace orrery::gpt {

// Trains a BPE model of vocab pieces on text; returns the serialized model. Throws
// std::runtime_error with SentencePiece's reason when the text does not allow that many
// pieces ("vocab 100000 is too large for this corpus: Vocabulary size is too high ...").
std::string train_bpe_tokenizer(const std::string& text, int vocab);

class Tokenizer {
 public:
  explicit Tokenizer(const std::string& serialized_model);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  int vocab() const;
  int line_separator() const;  // the end-of-sentence id
  std::vector<int> encode(const std::string& text) const;
  std::string decode(const std::vector<int>& ids) const;

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
};

}  // namespace orrery::gpt
