// Sums and maxima over the 32 lanes of a warp (every lane gets the result). The row kernels
// give each row one warp, so a row's reduction needs no shared memory and no block barrier.
#pragma once

namespace orrery::gpt::cuda {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = 4;  // warps per block in the row kernels (128 threads)

template <typename T>
__device__ inline T warp_sum(T x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) x += __shfl_xor_sync(0xffffffffu, x, offset);
  return x;
}

__device__ inline float warp_max(float x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
  return x;
}

// The row this warp handles, in a launch of row_blocks(rows) blocks of kRowsPerBlock warps.
__device__ inline long warp_row() {
  return static_cast<long>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
}
__device__ inline int warp_lane() { return static_cast<int>(threadIdx.x % kWarp); }

inline unsigned row_blocks(long rows) { return static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock); }

// Element kernels: one thread per element, 256 per block.
constexpr int kElementThreads = 256;
inline unsigned element_blocks(long n) { return static_cast<unsigned>((n + kElementThreads - 1) / kElementThreads); }

// Column-sum kernels (parameter gradients summed over the B*T rows): a block of
// kColumnTile x kRowLanes threads takes 32 adjacent columns (each row's 32 floats one
// coalesced read), its kRowLanes lanes take every kRowLanes-th row, and lane 0 adds the lanes'
// sums in lane order, so the result is the same every run. One thread a column looping over
// all rows (the first version) kept 3 of an H100's 132 multiprocessors busy for C = 768.
constexpr int kColumnTile = 32, kRowLanes = 32;
inline unsigned column_sum_blocks(int columns) { return static_cast<unsigned>((columns + kColumnTile - 1) / kColumnTile); }
inline dim3 column_sum_threads() { return dim3(kColumnTile, kRowLanes); }

// One block's lanes' partial sums of its 32 columns (padded: no shared-memory bank conflicts).
using ColumnLanes = float[kRowLanes][kColumnTile + 1];

// Called by every thread of a column-sum block with its lane's partial sum of its column:
// *out (null for a column past the end) += the lanes' sums, added in lane order by lane 0.
__device__ inline void add_column_lanes(ColumnLanes& lanes, float partial, float* out) {
  lanes[threadIdx.y][threadIdx.x] = partial;
  __syncthreads();
  if (threadIdx.y != 0 || out == nullptr) return;
  float sum = *out;
  for (int k = 0; k < kRowLanes; ++k) sum += lanes[k][threadIdx.x];
  *out = sum;
}

}  // namespace orrery::gpt::cuda
