// Save and load bandwidth of gpt-train checkpoints for a model shape (GPT-2 124M's by
// default), on however many ranks mpirun starts: replicated (rank 0 writes the file) or with
// --zero_stage=1 (rank 0 the head, then every rank its slice of the AdamW moments at once
// through parallel HDF5), the same calls the worker makes. Before each load the file's pages
// are dropped from the page cache (posix_fadvise DONTNEED after fsync), so the load reads
// the disk; each load is checked bit for bit against what was saved.
//   mpirun -np 2 orrery-gpt-checkpoint-bench --dir /tmp/x --zero_stage=1 --repeat=3
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gpt/adamw.hpp"
#include "gpt/checkpoint.hpp"
#include "gpt/model.hpp"
#include "gpt/parallel_checkpoint.hpp"
#include "gpt/shard_range.hpp"

namespace {

using namespace orrery::gpt;

void drop_from_page_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Every rank's slowest, so a time is the whole save or load.
double slowest(double seconds) {
  MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return seconds;
}

int run(int argc, char** argv) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  CLI::App app{"gpt-train checkpoint save/load bandwidth"};
  std::string dir, shape = "gpt2";
  int zero_stage = 0, repeat = 3, vocab = 0, context = 0;
  app.add_option("--dir", dir, "folder on the disk to measure")->required();
  app.add_option("--preset", shape, "model preset (test, mini, small, gpt2)");
  app.add_option("--vocab", vocab, "override the preset's vocabulary");
  app.add_option("--context", context, "override the preset's context");
  app.add_option("--zero_stage", zero_stage, "0: replicated moments, 1: sharded")->check(CLI::Range(0, 1));
  app.add_option("--repeat", repeat, "saves and loads")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);

  ModelConfig config = preset(shape);
  if (vocab > 0) config.vocab = vocab;
  if (context > 0) config.context = context;
  config.validate();
  Gpt model(config);
  model.init_weights(1234);
  const std::size_t total = model.params().size();
  const ShardRange held = zero_stage ? shard_of(total, ranks, rank) : ShardRange{0, total};
  AdamW opt(AdamWConfig{}, held);
  for (std::size_t i = 0; i < held.count; ++i) {
    opt.m()[i] = 1e-3f * static_cast<float>((held.first + i) % 997);
    opt.v()[i] = 1e-6f * static_cast<float>((held.first + i) % 991 + 1);
  }
  opt.set_t(7);
  TrainingState state;
  state.step = 7;
  state.ranks = ranks;
  state.zero_stage = zero_stage;
  state.config_json = "{}";
  const std::vector<float> params = model.params(), m = opt.m(), v = opt.v();
  std::filesystem::create_directories(dir);
  const std::string path = (std::filesystem::path(dir) / checkpoint_file_name(state.step)).string();
  if (rank == 0)
    std::printf("%s: %zu parameters (vocab %d, context %d), %d rank(s), zero_stage %d\n", shape.c_str(), total,
                config.vocab, config.context, ranks, zero_stage);

  std::vector<double> saves, loads;
  double bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (zero_stage == 0) {
      if (rank == 0) save_checkpoint(path, model, opt, state);
    } else {
      const std::string tmp = temporary_checkpoint_path(path);
      if (rank == 0) write_checkpoint_head(tmp, model, opt.t(), state);
      MPI_Barrier(MPI_COMM_WORLD);
      const double head = MPI_Wtime();
      write_optimizer_slices_parallel(tmp, model, opt, MPI_COMM_WORLD);
      const double slices = slowest(MPI_Wtime());
      if (rank == 0) publish_checkpoint(tmp, path);
      if (rank == 0)
        std::printf("  head %.3f s, moment slices (all ranks at once) %.3f s, fsync + rename %.3f s\n", head - t0,
                    slices - head, MPI_Wtime() - slices);
    }
    saves.push_back(slowest(MPI_Wtime() - t0));
    bytes = static_cast<double>(std::filesystem::file_size(path));

    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) drop_from_page_cache(path);
    std::fill(model.params().begin(), model.params().end(), 0.0f);
    std::fill(opt.m().begin(), opt.m().end(), 0.0f);
    std::fill(opt.v().begin(), opt.v().end(), 0.0f);
    MPI_Barrier(MPI_COMM_WORLD);
    t0 = MPI_Wtime();
    load_checkpoint(path, model, opt);
    loads.push_back(slowest(MPI_Wtime() - t0));
    if (model.params() != params || opt.m() != m || opt.v() != v) {
      std::fprintf(stderr, "rank %d: the loaded checkpoint differs from what was saved\n", rank);
      return 1;
    }
    // Each rank read the parameters and its moments: the bytes it read.
    const double read = 4.0 * static_cast<double>(total + 2 * held.count);
    if (rank == 0)
      std::printf("save %d: %.0f MB in %.3f s = %.0f MB/s; load (%d rank(s), %.0f MB each read at most) %.3f s = "
                  "%.0f MB/s of file\n",
                  r + 1, bytes / 1e6, saves.back(), bytes / 1e6 / saves.back(), ranks, read / 1e6, loads.back(),
                  bytes / 1e6 / loads.back());
  }
  if (rank == 0)
    std::printf("median of %d: save %.3f s = %.0f MB/s, load %.3f s = %.0f MB/s, verified bit for bit\n", repeat,
                median(saves), bytes / 1e6 / median(saves), median(loads), bytes / 1e6 / median(loads));
  std::filesystem::remove(path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 1;
  try {
    status = run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery-gpt-checkpoint-bench: %s\n", e.what());
  }
  if (status != 0) MPI_Abort(MPI_COMM_WORLD, status);
  MPI_Finalize();
  return status;
}
