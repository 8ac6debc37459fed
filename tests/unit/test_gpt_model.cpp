// gpt-train's library without MPI: parameter counts of the presets, the order in which
// backward finishes gradients (what the bucketed all-reduce relies on), checkpoint round
// trip and shape refusals, token files, UTF-8 checks, the line split, the schedule and the
// worker's option errors. Sizes are tiny: these also run under ASan/UBSan at -O0.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <span>
#include <string>
#include <vector>

#include "gpt/adamw.hpp"
#include "gpt/checkpoint.hpp"
#include "gpt/model.hpp"
#include "gpt/text_corpus.hpp"
#include "gpt/token_file.hpp"
#include "gpt/train_options.hpp"
#include "test_support.hpp"

namespace {

using namespace orrery::gpt;
namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("orrery-test-gpt-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

using orrery::test_support::error_of;

TEST(GptModel, PresetSizes) {
  EXPECT_EQ(preset("gpt2").parameter_count(), 124439808u);  // GPT-2 small, with its 50257-token vocabulary
  EXPECT_LT(preset("test").parameter_count(), 200000u);
  const Gpt m(ModelConfig{16, 4, 2, 2, 8});
  EXPECT_EQ(m.params().size(), m.config().parameter_count());
  EXPECT_EQ(m.tensors().back().offset + m.tensors().back().size, m.params().size());
}

TEST(GptModel, BackwardFinishesEveryTensorOnceFromTheLast) {
  Gpt m(ModelConfig{16, 4, 2, 2, 8});
  m.init_weights(3);
  const std::vector<int> tokens{1, 2, 3, 4, 5, 6, 7, 8}, targets{2, 3, 4, 5, 6, 7, 8, 9};
  const float loss = m.forward(tokens.data(), targets.data(), 2, 4);
  EXPECT_NEAR(loss, std::log(16.0f), 0.3f);  // small weights: close to uniform
  m.zero_grad();
  std::vector<int> finished(m.tensors().size(), 0);
  std::size_t previous_first = m.tensors().size();
  m.backward(1.0f / 8, [&](std::size_t first, std::size_t end) {
    EXPECT_LE(end, previous_first) << "groups must come in reverse order of the layout";
    previous_first = first;
    for (std::size_t i = first; i < end; ++i) ++finished[i];
  });
  for (std::size_t i = 0; i < finished.size(); ++i) EXPECT_EQ(finished[i], 1) << m.tensors()[i].name;
  EXPECT_GT(gradient_norm(m.grads()), 0.0);
}

// The global norm's sum of squares runs over blocks in parallel: the same bits for any thread
// count (bit-identical resume depends on it), and the plain sum within rounding; clipping
// scales every gradient by the one coefficient.
TEST(GptOptimizer, SumOfSquaresIsTheSameForAnyThreadCountAndClipScalesAll) {
  std::vector<float> g(300'001);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<float>(static_cast<int>(i % 1013) - 506) * 1e-3f;
  double plain = 0;
  for (const float x : g) plain += static_cast<double>(x) * x;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = sum_of_squares(g);
  omp_set_num_threads(3);
  const double three = sum_of_squares(g);
  omp_set_num_threads(threads);
  EXPECT_EQ(one, three);
  EXPECT_NEAR(one, plain, 1e-12 * plain);
  EXPECT_EQ(sum_of_squares(std::span<const float>(g).subspan(0, 0)), 0.0);
  const double norm = std::sqrt(one);
  std::vector<float> clipped = g;
  clip_gradients(clipped, norm, 0.5 * norm);
  const auto scale = static_cast<float>(0.5 * norm / (norm + 1e-6));
  for (std::size_t i = 0; i < g.size(); i += 997) ASSERT_EQ(clipped[i], g[i] * scale) << i;
  EXPECT_NEAR(gradient_norm(clipped), 0.5 * norm, 1e-6 * norm);
}

TEST(GptModel, RefusesTokensOutsideTheVocabulary) {
  Gpt m(ModelConfig{16, 4, 1, 1, 4});
  const std::vector<int> bad{1, 16, 2, 3};
  EXPECT_THROW(m.forward(bad.data(), nullptr, 1, 4), std::invalid_argument);
  EXPECT_THROW(m.forward(bad.data(), nullptr, 1, 5), std::invalid_argument);  // longer than the context
}

TEST(GptCheckpoint, RoundTripAndShapeMismatch) {
  const auto dir = temp_dir("ckpt");
  const ModelConfig cfg{16, 4, 2, 2, 8};
  Gpt a(cfg);
  a.init_weights(5);
  AdamW opt({}, a.params().size());
  opt.m()[3] = 0.5f;
  opt.set_t(7);
  TrainingState s;
  s.step = 7;
  s.seed = 5;
  s.tokenizer = std::string("\0model\xff", 7);
  const std::string path = (dir / checkpoint_file_name(7)).string();
  EXPECT_EQ(fs::path(path).filename(), "step-0000007.h5");
  save_checkpoint(path, a, opt, s);
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  EXPECT_EQ(checkpoint_model_config(path), cfg);
  Gpt b(cfg);
  AdamW opt_b({}, b.params().size());
  const TrainingState loaded = load_checkpoint(path, b, opt_b);
  EXPECT_EQ(b.params(), a.params());
  EXPECT_EQ(opt_b.m(), opt.m());
  EXPECT_EQ(opt_b.t(), 7);
  EXPECT_EQ(loaded.step, 7);
  EXPECT_EQ(loaded.tokenizer, s.tokenizer);

  Gpt wider(ModelConfig{16, 4, 2, 2, 16});
  AdamW opt_w({}, wider.params().size());
  EXPECT_NE(error_of([&] { load_checkpoint(path, wider, opt_w); }).find("has channels 8, this run 16"), std::string::npos);
  EXPECT_NE(error_of([&] { checkpoint_model_config((dir / "none.h5").string()); }).find("not found"), std::string::npos);
  fs::remove_all(dir);
}

TEST(GptTokenFile, RoundTripAndRefusals) {
  const auto dir = temp_dir("tok");
  const std::string path = (dir / "t.tok").string();
  write_token_file(path, {0, 5, 9, 3}, 10);
  EXPECT_EQ(read_token_file(path, 10), (std::vector<int>{0, 5, 9, 3}));
  EXPECT_NE(error_of([&] { read_token_file(path, 12); }).find("10-token vocabulary, expected 12"), std::string::npos);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.write("XXXX", 4);
  }
  EXPECT_NE(error_of([&] { read_token_file(path, 10); }).find("bad magic"), std::string::npos);
  fs::remove_all(dir);
}

TEST(GptCorpus, Utf8AndSplit) {
  EXPECT_EQ(first_invalid_utf8("plain \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string::npos);
  EXPECT_EQ(first_invalid_utf8("ab\xff"), 2u);
  EXPECT_EQ(first_invalid_utf8("ab\xc3"), 2u);          // truncated
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);        // overlong
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);   // surrogate
  std::string text;
  for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
  const auto s = split_lines(text, 2);
  EXPECT_EQ(s.train.size() + s.val.size(), text.size());
  EXPECT_EQ(s.val.rfind("line 32\n", 0), 0u);  // the second block of 32 lines
  EXPECT_EQ(split_lines(text, 2).val, s.val);
}

TEST(GptSchedule, WarmupCosineFloor) {
  const LrSchedule s{1.0f, 0.1f, 4, 14};
  EXPECT_FLOAT_EQ(s.at(0), 0.25f);
  EXPECT_FLOAT_EQ(s.at(3), 1.0f);
  EXPECT_FLOAT_EQ(s.at(4), 1.0f);
  EXPECT_NEAR(s.at(9), 0.55f, 1e-6);
  EXPECT_FLOAT_EQ(s.at(20), 0.1f);
  std::vector<float> g{3.0f, 4.0f};
  clip_gradients(g, 5.0, 1.0);
  EXPECT_NEAR(g[0], 0.6f, 1e-6);
}

TEST(GptOptions, BadValuesNamed) {
  auto parse = [](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    bool help = false;
    return parse_train_options(argv, help);
  };
  EXPECT_EQ(parse({"--preset=test", "--channels=32", "--heads=2"}).model.channels, 32);
  EXPECT_EQ(error_of([&] { parse({"--context=0"}); }), "--context: must be at least 1, got 0");
  EXPECT_NE(error_of([&] { parse({"--channels=30", "--heads=4"}); }).find("multiple of heads"), std::string::npos);
  EXPECT_EQ(error_of([&] { parse({"--layers=two"}); }), "--layers: expects an integer, got 'two'");
  EXPECT_EQ(error_of([&] { parse({"--colour=red"}); }), "unknown option --colour");
  EXPECT_EQ(parse({"--zero_stage=1"}).zero_stage, 1);
  EXPECT_NE(error_of([&] { parse({"--zero_stage=2"}); }).find("--zero_stage: must be 0"), std::string::npos);
  EXPECT_NE(error_of([&] { parse({"--preset=huge"}); }).find("unknown model preset 'huge'"), std::string::npos);
  // device and precision: the defaults, each choice, bad words, and bf16 refused on the CPU.
  EXPECT_EQ(parse({}).device, DeviceChoice::automatic);
  EXPECT_EQ(parse({}).precision, Precision::fp32);
  EXPECT_EQ(parse({"--device=cuda", "--precision=bf16"}).precision, Precision::bf16);
  EXPECT_EQ(parse({"--device=cpu"}).device, DeviceChoice::cpu);
  EXPECT_EQ(error_of([&] { parse({"--device=gpu"}); }), "--device: expects auto, cpu or cuda, got 'gpu'");
  EXPECT_EQ(error_of([&] { parse({"--precision=fp16"}); }), "--precision: expects fp32 or bf16, got 'fp16'");
  EXPECT_NE(error_of([&] { parse({"--device=cpu", "--precision=bf16"}); }).find("--precision: bf16 runs only on the CUDA"),
            std::string::npos);
  EXPECT_NE(parse({"--precision=bf16"}).config_json().find(R"("device": "auto", "precision": "bf16")"),
            std::string::npos);
}

}  // namespace
