// ZeRO-1 pieces of gpt-train's library, without MPI: the ranks' slices of the flat
// parameter array, the hyperslab blocks that select a flat range of a consolidated tensor,
// AdamW on a slice (bit for bit the whole optimizer's update of those parameters), and
// checkpoints written slice by slice that read back as the whole moments, and back into
// slices of another split. Tiny sizes: these also run under ASan/UBSan at -O0.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpt/adamw.hpp"
#include "gpt/checkpoint.hpp"
#include "gpt/h5_file.hpp"
#include "gpt/model.hpp"
#include "gpt/rng.hpp"
#include "gpt/shard_range.hpp"

namespace {

using namespace orrery::gpt;
namespace fs = std::filesystem;

const ModelConfig kTiny{16, 4, 2, 2, 8};

// Deterministic values in [-1, 1) for moments and gradients.
std::vector<float> values(std::size_t n, std::uint64_t seed) {
  Rng rng(seed, 0);
  std::vector<float> v(n);
  for (float& x : v) x = 2.0f * rng.uniform() - 1.0f;
  return v;
}

TEST(GptZeroShards, SlicesTileTheArrayInRankOrder) {
  EXPECT_EQ(shards_of(10, 3), (std::vector<ShardRange>{{0, 3}, {3, 3}, {6, 4}}));
  EXPECT_EQ(shards_of(2, 4), (std::vector<ShardRange>{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  EXPECT_EQ(intersect({2, 5}, {4, 10}), (ShardRange{4, 3}));
  EXPECT_EQ(intersect({0, 3}, {3, 3}).count, 0u);
}

TEST(GptZeroShards, FlatRangeBoxesSelectExactlyTheRangeInOrder) {
  const std::vector<std::int64_t> shape{3, 4, 5};
  for (std::int64_t first = 0; first < 60; ++first) {
    for (std::int64_t count = 1; first + count <= 60; ++count) {
      const auto boxes = h5::flat_range_boxes(shape, first, count);
      ASSERT_LE(boxes.size(), 5u);
      std::vector<std::int64_t> seen;
      for (const auto& b : boxes)
        for (std::int64_t i = 0; i < b.count[0]; ++i)
          for (std::int64_t j = 0; j < b.count[1]; ++j)
            for (std::int64_t k = 0; k < b.count[2]; ++k)
              seen.push_back(((b.start[0] + i) * 4 + b.start[1] + j) * 5 + b.start[2] + k);
      ASSERT_EQ(seen.size(), static_cast<std::size_t>(count)) << first << "+" << count;
      for (std::int64_t e = 0; e < count; ++e) ASSERT_EQ(seen[static_cast<std::size_t>(e)], first + e) << first << "+" << count;
    }
  }
  EXPECT_TRUE(h5::flat_range_boxes(shape, 7, 0).empty());
}

TEST(GptZeroShards, SlicedAdamWUpdatesLikeTheWholeOne) {
  Gpt whole_model(kTiny), sliced_model(kTiny);
  whole_model.init_weights(2);
  sliced_model.params() = whole_model.params();
  const std::size_t n = whole_model.params().size();
  AdamW whole({}, n);
  std::vector<AdamW> slices;
  for (const ShardRange& r : shards_of(n, 3)) slices.emplace_back(AdamWConfig{}, r);
  for (std::uint64_t step = 0; step < 3; ++step) {
    const std::vector<float> grads = values(n, 10 + step);
    whole.step(whole_model.tensors(), whole_model.params(), grads, 1e-2f);
    for (AdamW& s : slices) {
      const std::span<const float> mine(grads.data() + s.range().first, s.range().count);
      s.step(sliced_model.tensors(), sliced_model.params(), mine, 1e-2f);
    }
  }
  EXPECT_EQ(sliced_model.params(), whole_model.params());
  EXPECT_EQ(slices[1].state_bytes(), 2 * sizeof(float) * slices[1].range().count);
  EXPECT_THROW(slices[0].step(sliced_model.tensors(), sliced_model.params(), whole_model.grads(), 1e-2f),
               std::invalid_argument);
}

TEST(GptZeroShards, CheckpointWrittenBySlicesReadsAsTheWholeAndReslices) {
  const fs::path dir = fs::temp_directory_path() / ("orrery-test-gpt-zero-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Gpt model(kTiny);
  model.init_weights(4);
  const std::size_t n = model.params().size();
  AdamW whole({}, n);
  whole.m() = values(n, 1);
  whole.v() = values(n, 2);
  whole.set_t(3);

  // Saved as three ranks would: a head, then each slice in turn, then published.
  TrainingState state;
  state.ranks = 3;
  state.zero_stage = 1;
  const std::string path = (dir / checkpoint_file_name(3)).string(), tmp = temporary_checkpoint_path(path);
  write_checkpoint_head(tmp, model, whole.t(), state);
  for (const ShardRange& r : shards_of(n, 3)) {
    AdamW slice({}, r);
    std::copy_n(whole.m().begin() + static_cast<long>(r.first), r.count, slice.m().begin());
    std::copy_n(whole.v().begin() + static_cast<long>(r.first), r.count, slice.v().begin());
    EXPECT_FALSE(fs::exists(path)) << "visible before it is complete";
    write_optimizer_slice(tmp, model, slice);
  }
  publish_checkpoint(tmp, path);
  EXPECT_FALSE(fs::exists(tmp));

  Gpt loaded(kTiny);
  AdamW all({}, n);
  EXPECT_EQ(load_checkpoint(path, loaded, all).zero_stage, 1);
  EXPECT_EQ(all.m(), whole.m());
  EXPECT_EQ(all.v(), whole.v());
  EXPECT_EQ(all.t(), 3);
  EXPECT_EQ(loaded.params(), model.params());

  // Into the slices of two ranks (boundaries elsewhere than the saving run's).
  for (const ShardRange& r : shards_of(n, 2)) {
    AdamW slice({}, r);
    load_checkpoint(path, loaded, slice);
    EXPECT_TRUE(std::equal(slice.v().begin(), slice.v().end(), whole.v().begin() + static_cast<long>(r.first)));
    EXPECT_TRUE(std::equal(slice.m().begin(), slice.m().end(), whole.m().begin() + static_cast<long>(r.first)));
  }
  // A slice cannot pose as the whole optimizer.
  EXPECT_THROW(save_checkpoint(path, model, AdamW({}, shard_of(n, 2, 1)), state), std::invalid_argument);
  fs::remove_all(dir);
}

}  // namespace
