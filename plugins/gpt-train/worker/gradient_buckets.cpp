#include "gradient_buckets.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include <orrery/runtime.hpp>

namespace orrery::gpt {

double AllreduceTiming::hidden_fraction() const {
  if (comm_s <= 0) return 0;
  return std::clamp(1.0 - exposed_s / comm_s, 0.0, 1.0);
}

GradientBuckets::GradientBuckets(const std::vector<TensorInfo>& tensors, std::size_t bucket_floats, bool overlap,
                                 MPI_Comm comm, const std::vector<ShardRange>& rank_shards)
    : bucket_of_(tensors.size()), overlap_(overlap), comm_(comm), rank_shards_(rank_shards) {
  // From the last tensor back: each bucket a contiguous range of whole tensors.
  Bucket current;
  for (std::size_t i = tensors.size(); i-- > 0;) {
    current.offset = tensors[i].offset;
    current.count += tensors[i].size;
    ++current.tensors;
    bucket_of_[i] = buckets_.size();
    if (current.count >= bucket_floats || i == 0) {
      buckets_.push_back(current);
      current = Bucket{};
    }
  }
  if (!sharded()) return;
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  const ShardRange mine = rank_shards_[static_cast<std::size_t>(rank)];
  for (auto& b : buckets_) {
    for (const ShardRange& s : rank_shards_)
      b.scatter_counts.push_back(static_cast<int>(intersect({b.offset, b.count}, s).count));
    b.piece = intersect({b.offset, b.count}, mine);
  }
}

void GradientBuckets::begin_step() {
  for (auto& b : buckets_) {
    b.ready = 0;
    b.posted = b.done = false;
    b.request = MPI_REQUEST_NULL;
  }
  next_to_post_ = 0;
}

void GradientBuckets::post_ready(float* grads) {
  // Collectives must start in the same order on every rank: strictly bucket order.
  while (next_to_post_ < buckets_.size() && buckets_[next_to_post_].ready == buckets_[next_to_post_].tensors) {
    auto& b = buckets_[next_to_post_++];
    b.posted_at = orrery::now();
    if (sharded())
      MPI_Ireduce_scatter(MPI_IN_PLACE, grads + b.offset, b.scatter_counts.data(), MPI_FLOAT, MPI_SUM, comm_,
                          &b.request);
    else
      MPI_Iallreduce(MPI_IN_PLACE, grads + b.offset, static_cast<int>(b.count), MPI_FLOAT, MPI_SUM, comm_, &b.request);
    b.posted = true;
  }
}

void GradientBuckets::poll() {
  // Open MPI advances non-blocking collectives only inside MPI calls: testing them between
  // layers is what lets them progress while backward computes.
  for (auto& b : buckets_) {
    if (!b.posted || b.done) continue;
    int flag = 0;
    MPI_Test(&b.request, &flag, MPI_STATUS_IGNORE);
    if (flag) {
      b.done = true;
      b.done_at = orrery::now();
    }
  }
}

void GradientBuckets::ready(std::size_t first, std::size_t end, float* grads) {
  for (std::size_t i = first; i < end; ++i) ++buckets_[bucket_of_[i]].ready;
  if (!overlap_) return;
  post_ready(grads);
  poll();
}

AllreduceTiming GradientBuckets::finish(float* grads, std::int64_t step) {
  const double backward_end = orrery::now();
  post_ready(grads);
  AllreduceTiming t;
  double last_done = backward_end, merged_end = 0;
  for (std::size_t k = 0; k < buckets_.size(); ++k) {
    auto& b = buckets_[k];
    if (!b.done) {
      MPI_Wait(&b.request, MPI_STATUS_IGNORE);
      b.done = true;
      b.done_at = orrery::now();
    }
    // Reduce-scatter in place left this rank's piece at the start of the bucket.
    if (sharded() && b.piece.count > 0 && b.piece.first != b.offset)
      std::memmove(grads + b.piece.first, grads + b.offset, b.piece.count * sizeof(float));
    // Time with at least one all-reduce in flight: the union of the buckets' intervals
    // (posted in order, so each starts no earlier than the one before).
    const double from = std::max(b.posted_at, merged_end);
    if (b.done_at > from) t.comm_s += b.done_at - from;
    merged_end = std::max(merged_end, b.done_at);
    last_done = std::max(last_done, b.done_at);
    orrery::span("comm", (sharded() ? "reduce-scatter bucket " : "allreduce bucket ") + std::to_string(k), step,
                 b.posted_at, b.done_at);
  }
  t.exposed_s = last_done - backward_end;
  t.buckets = static_cast<int>(buckets_.size());
  return t;
}

}  // namespace orrery::gpt
