// Data-parallel gradient all-reduce in buckets, overlapped with the backward pass (the
// scheme of PyTorch DDP): the gradient tensors are grouped, from the last to the first
// (the order backward finishes them), into buckets of about bucket_mb; as soon as every
// tensor of a bucket is final, a non-blocking MPI_Iallreduce sums that contiguous range
// in place across the ranks while backward goes on with the layers below. Without
// overlap, every bucket is posted after backward, so the gain can be measured.
//
// With ZeRO-1 sharding (rank_shards given), a bucket is reduce-scattered instead: each
// rank receives the sums of only the part of the bucket that falls in its slice of the
// parameters (MPI_Ireduce_scatter with per-rank counts: the slices are in rank order, so
// the bucket's pieces are too). Same buckets, same posting points, same overlap with
// backward; each rank receives 1/N of the sums instead of all of them. In place, so no
// receive buffer: MPI leaves the rank's piece at the start of the bucket, and finish()
// moves it to its own place, after which grads[slice] holds the summed gradients of the
// rank's slice (the rest of grads is this rank's own, unsummed, and not used).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "gpt/model.hpp"
#include "gpt/shard_range.hpp"

namespace orrery::gpt {

struct AllreduceTiming {
  double comm_s = 0;      // time with at least one bucket in flight (completions seen by polling: an upper bound)
  double exposed_s = 0;   // end of backward to last completion: what compute did not hide
  int buckets = 0;
  double hidden_fraction() const;
};

class GradientBuckets {
 public:
  // rank_shards empty: all-reduce; else every rank's slice (shards_of), this rank's at its index.
  GradientBuckets(const std::vector<TensorInfo>& tensors, std::size_t bucket_floats, bool overlap, MPI_Comm comm,
                  const std::vector<ShardRange>& rank_shards = {});
  std::size_t count() const { return buckets_.size(); }
  bool sharded() const { return !rank_shards_.empty(); }

  void begin_step();
  // From backward's GradientsReady: tensors [first, end) of grads are final.
  void ready(std::size_t first, std::size_t end, float* grads);
  // After backward: posts what is left, waits for every bucket, sends one span per bucket;
  // sharded, moves each bucket's received piece to its place in grads.
  AllreduceTiming finish(float* grads, std::int64_t step);

 private:
  struct Bucket {
    std::size_t offset = 0, count = 0;  // floats of the flat gradient array
    int tensors = 0, ready = 0;
    MPI_Request request = MPI_REQUEST_NULL;
    bool posted = false, done = false;
    double posted_at = 0, done_at = 0;
    std::vector<int> scatter_counts;  // sharded: floats of the bucket in each rank's slice
    ShardRange piece;                 // sharded: the part of the bucket in this rank's slice
  };
  void post_ready(float* grads);
  void poll();

  std::vector<Bucket> buckets_;             // in posting order: the tail of the model first
  std::vector<std::size_t> bucket_of_;      // tensor -> bucket
  std::size_t next_to_post_ = 0;
  bool overlap_;
  MPI_Comm comm_;
  std::vector<ShardRange> rank_shards_;
};

}  // namespace orrery::gpt
