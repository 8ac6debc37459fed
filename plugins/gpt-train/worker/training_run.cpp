#include "training_run.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <orrery/runtime.hpp>

#include "data_loader.hpp"
#include "gpt/adamw.hpp"
#include "gpt/checkpoint.hpp"
#include "gpt/parallel_checkpoint.hpp"
#include "gpt/model.hpp"
#include "gpt/prepared_corpus.hpp"
#include "gpt/rng.hpp"
#include "gpt/tokenizer.hpp"
#include "gradient_buckets.hpp"
#include "step_kernels.hpp"

namespace orrery::gpt {

namespace fs = std::filesystem;

RunPaths run_paths(const TrainOptions& o) {
  RunPaths p;
  const std::string run = orrery::run_dir();
  // <project>/runs/<id>: the project's cache is shared by all its runs.
  const fs::path project = run.empty() ? fs::path() : fs::path(run).parent_path().parent_path();
  p.cache_dir = !o.cache_dir.empty() ? o.cache_dir
                : run.empty()        ? std::string("gpt-train-cache")
                                     : (project / "cache" / "gpt-train").string();
  p.checkpoint_dir = !o.checkpoint_dir.empty() ? o.checkpoint_dir
                     : run.empty()             ? std::string("checkpoints")
                                               : (fs::path(run) / "checkpoints").string();
  return p;
}

namespace {

// Text the model writes after a line break, sampled at temperature 1 (rank 0, at validation steps).
std::string sample_text(Gpt& model, const Tokenizer& tok, int count, Rng& rng) {
  const int T = model.config().context, V = model.config().vocab;
  std::vector<int> ids{tok.line_separator()};
  std::vector<float> probs(static_cast<std::size_t>(V));
  for (int i = 0; i < count; ++i) {
    const int len = std::min<int>(static_cast<int>(ids.size()), T);
    model.forward(ids.data() + ids.size() - static_cast<std::size_t>(len), nullptr, 1, len);
    const float* logits = model.logits() + static_cast<std::size_t>(len - 1) * static_cast<std::size_t>(V);
    const float mx = *std::max_element(logits, logits + V);
    double sum = 0;
    for (int v = 0; v < V; ++v) sum += probs[static_cast<std::size_t>(v)] = std::exp(logits[v] - mx);
    double u = rng.uniform() * sum;
    int pick = V - 1;
    for (int v = 0; v < V; ++v) {
      u -= probs[static_cast<std::size_t>(v)];
      if (u <= 0) {
        pick = v;
        break;
      }
    }
    ids.push_back(pick);
  }
  return tok.decode(std::vector<int>(ids.begin() + 1, ids.end()));
}

}  // namespace

void train(const TrainOptions& o, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  if (o.batch_size % ranks != 0)
    throw std::invalid_argument("batch_size " + std::to_string(o.batch_size) + " is not a multiple of the " +
                                std::to_string(ranks) + " ranks");
  omp_set_num_threads(o.threads);
  openblas_set_num_threads(o.threads);
  const RunPaths paths = run_paths(o);
  const ModelConfig& mc = o.model;

  // A checkpoint to resume names its shape and tokenizer: a mismatch is an input error.
  auto model = std::make_unique<Gpt>(mc);
  // ZeRO-1: rank r keeps the moments (and does the update) of its slice of the flat
  // parameters only; the updated slices are all-gathered after each step.
  const bool sharded = o.zero_stage == 1;
  const std::vector<ShardRange> rank_shards =
      sharded ? shards_of(model->params().size(), ranks) : std::vector<ShardRange>{};
  AdamW opt({0.9f, 0.95f, 1e-8f, o.weight_decay},
            sharded ? rank_shards[static_cast<std::size_t>(rank)] : ShardRange{0, model->params().size()});
  std::vector<int> gather_counts, gather_displs;
  for (const ShardRange& r : rank_shards) {
    gather_counts.push_back(static_cast<int>(r.count));
    gather_displs.push_back(static_cast<int>(r.first));
  }
  TrainingState state;
  if (!o.resume.empty()) {
    state = load_checkpoint(o.resume, *model, opt);
  } else {
    model->init_weights(static_cast<std::uint64_t>(o.seed));
    state.seed = o.seed;
  }
  // The ranks of one node share its GPUs: the node-local rank picks one.
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int local_rank = 0;
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_free(&node);
  // One rank with all the moments has nothing to all-reduce: GPU kernels keep its optimizer.
  const std::unique_ptr<StepKernels> kernels =
      make_step_kernels(o, *model, local_rank, ranks == 1 && !sharded ? &opt : nullptr);

  // The corpus: rank 0 trains the tokenizer and encodes (or finds both cached), the others
  // read what it wrote.
  CorpusOptions co{o.corpus, paths.cache_dir, mc.vocab, o.val_every, state.tokenizer};
  PreparedCorpus corpus;
  const double prep0 = orrery::now();
  if (rank == 0) corpus = prepare_corpus(co);
  MPI_Barrier(comm);
  if (rank != 0) corpus = prepare_corpus(co);
  orrery::span("io", "prepare corpus", state.step, prep0, orrery::now());
  const Tokenizer tok(corpus.tokenizer_model);
  state.tokenizer = corpus.tokenizer_model;
  const DataLoader train_data(corpus.train, mc.context, static_cast<std::uint64_t>(state.seed));
  const DataLoader val_data(corpus.val, mc.context, static_cast<std::uint64_t>(state.seed));

  const int local_batch = o.batch_size / ranks;
  const long local_tokens = static_cast<long>(local_batch) * mc.context;
  const float loss_scale = 1.0f / static_cast<float>(static_cast<long>(o.batch_size) * mc.context);
  const LrSchedule schedule{o.lr, o.lr * o.min_lr_ratio, o.warmup_steps, o.steps};
  const double peak = kernels->measure_peak_flops();
  const double flops_per_token = training_flops_per_token(mc);
  GradientBuckets buckets(model->tensors(), static_cast<std::size_t>(o.bucket_mb * 1024 * 1024 / sizeof(float)),
                          o.overlap, comm, rank_shards);
  std::error_code ec;
  fs::create_directories(paths.checkpoint_dir, ec);

  if (rank == 0) {
    // The kernels are said once, first, and kept as an event with the run's records.
    std::printf("orrery-gpt-train: %s\n", kernels->description().c_str());
    orrery::event("device", kernels->description(), state.step);
    std::printf("orrery-gpt-train: %zu parameters (%d layers, %d heads, %d channels, context %d, vocab %d); "
                "corpus %zu bytes -> %zu training and %zu validation tokens%s; %d ranks x %d threads, %d sequences a "
                "step, %zu gradient buckets (%s, %s); AdamW state %.2f MiB a rank; %s peak %.1f GFLOP/s%s\n",
                model->params().size(), mc.layers, mc.heads, mc.channels, mc.context, mc.vocab, corpus.text_bytes,
                corpus.train.size(), corpus.val.size(), corpus.from_cache ? " (cached)" : "", ranks, o.threads,
                o.batch_size, buckets.count(), o.overlap ? "overlapped" : "after backward",
                sharded ? "reduce-scattered, ZeRO-1 sharded optimizer" : "all-reduced",
                static_cast<double>(opt.state_bytes()) / (1024.0 * 1024.0), kernels->peak_name(), peak / 1e9,
                o.resume.empty() ? "" : ("; resuming at step " + std::to_string(state.step)).c_str());
    std::fflush(stdout);
  }

  const orrery::Metric m_loss("train_loss"), m_val("val_loss"), m_lr("lr"), m_norm("grad_norm"),
      m_tps("tokens_per_s"), m_tps_rank("tokens_per_s_rank"), m_mfu("mfu"), m_ar("allreduce_s"),
      m_hidden("allreduce_hidden_fraction"), m_step("step_s"), m_state("optimizer_state_bytes"),
      m_gather("allgather_s"), m_gpu("gpu_device");
  // Every rank records its kernels: the CUDA device index, -1 for the CPU.
  m_gpu.log(state.step, kernels->gpu());
  std::vector<int> inputs, targets;
  Rng sampler(static_cast<std::uint64_t>(state.seed) ^ 0x73616D706C65ull, static_cast<std::uint64_t>(state.sample_counter));

  auto save = [&](std::int64_t steps_done) {
    const double t0 = orrery::now();
    kernels->sync_to_host(*model, opt);
    const std::string path = (fs::path(paths.checkpoint_dir) / checkpoint_file_name(steps_done)).string();
    if (rank == 0) {
      state.step = steps_done;
      state.loader_position = steps_done * o.batch_size;
      state.sample_counter = static_cast<std::int64_t>(sampler.counter());
      state.ranks = ranks;
      state.zero_stage = o.zero_stage;
      state.config_json = o.config_json();
      if (!sharded) save_checkpoint(path, *model, opt, state);
    }
    if (sharded) {
      // One file, parallel HDF5: rank 0 writes the head (everything but the moments' values,
      // their space allocated), then every rank writes its moment slices into it at once
      // (MPI-IO), then rank 0 publishes (fsync, rename) it.
      const std::string tmp = temporary_checkpoint_path(path);
      if (rank == 0) write_checkpoint_head(tmp, *model, opt.t(), state);
      MPI_Barrier(comm);
      {
        orrery::ScopedSpan s("checkpoint", "write slice", steps_done);
        write_optimizer_slices_parallel(tmp, *model, opt, comm);
      }
      if (rank == 0) publish_checkpoint(tmp, path);
    }
    MPI_Barrier(comm);
    const double t1 = orrery::now();
    orrery::span("checkpoint", "save", steps_done, t0, t1);
    if (rank == 0) {
      orrery::event("checkpoint.saved", path, steps_done);
      std::printf("orrery-gpt-train: checkpoint %s (%.3f s)\n", path.c_str(), t1 - t0);
      std::fflush(stdout);
    }
  };

  const std::int64_t last = o.stop_at_step > 0 ? std::min(o.stop_at_step, o.steps) : o.steps;
  // Totals over the steps after the first (which warms caches and thread pools), for the
  // summary line that bench/gpt_train reads.
  double timed_s = 0, timed_comm_s = 0, timed_exposed_s = 0, timed_gather_s = 0;
  std::int64_t timed_steps = 0;
  const std::int64_t first_step = state.step;  // save() moves state.step on
  for (std::int64_t step = first_step; step < last; ++step) {
    const double t_start = orrery::now();
    {
      orrery::ScopedSpan s("io", "data", step);
      train_data.fill(step * o.batch_size + static_cast<std::int64_t>(rank) * local_batch, local_batch, inputs, targets);
    }
    double local_loss = 0;
    {
      orrery::ScopedSpan s("compute", "forward", step);
      local_loss = static_cast<double>(kernels->forward(inputs.data(), targets.data(), local_batch, mc.context)) *
                   static_cast<double>(local_tokens);
    }
    buckets.begin_step();
    float* grads = model->grads().data();
    const double t_bwd = orrery::now();
    kernels->backward(loss_scale, [&](std::size_t first, std::size_t end) { buckets.ready(first, end, grads); });
    orrery::span("compute", "backward", step, t_bwd, orrery::now());
    const AllreduceTiming ar = buckets.finish(grads, step);
    double loss = 0;
    MPI_Allreduce(&local_loss, &loss, 1, MPI_DOUBLE, MPI_SUM, comm);
    loss /= static_cast<double>(o.batch_size) * mc.context;
    const float lr = schedule.at(step);
    double norm = 0, gather_s = 0;
    if (!sharded) {
      orrery::ScopedSpan s("compute", "optimizer", step);
      norm = kernels->replicated_update(*model, opt, lr, o.grad_clip);
    } else {
      const std::span<float> shard(model->grads().data() + opt.range().first, opt.range().count);
      {
        // The global norm from the slices: one all-reduce of a scalar.
        orrery::ScopedSpan s("compute", "optimizer", step);
        const double local_squares = sum_of_squares(shard);
        double squares = 0;
        MPI_Allreduce(&local_squares, &squares, 1, MPI_DOUBLE, MPI_SUM, comm);
        norm = std::sqrt(squares);
        clip_gradients(shard, norm, o.grad_clip);
        opt.step(model->tensors(), model->params(), shard, lr);
      }
      const double g0 = orrery::now();
      MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, model->params().data(), gather_counts.data(),
                     gather_displs.data(), MPI_FLOAT, comm);
      const double g1 = orrery::now();
      gather_s = g1 - g0;
      orrery::span("comm", "allgather params", step, g0, g1);
      m_gather.log(step, gather_s);
      kernels->params_changed();
    }
    const double step_s = orrery::now() - t_start;
    const double rank_tps = static_cast<double>(local_tokens) / step_s;
    // With the slowest step, rank 0 shares whether `orrery checkpoint` asked for a save, so
    // every rank takes it at this same step boundary.
    const double local_max[2] = {step_s, rank == 0 && orrery::checkpoint_requested() ? 1.0 : 0.0};
    double global_max[2] = {0, 0};
    MPI_Allreduce(local_max, global_max, 2, MPI_DOUBLE, MPI_MAX, comm);
    const double step_max = global_max[0];
    const bool checkpoint_now = global_max[1] > 0;
    if (step > first_step) {
      timed_s += step_max;
      timed_comm_s += ar.comm_s;
      timed_exposed_s += ar.exposed_s;
      timed_gather_s += gather_s;
      ++timed_steps;
    }
    m_tps_rank.log(step, rank_tps);
    m_mfu.log(step, rank_tps * flops_per_token / peak);
    m_ar.log(step, ar.comm_s);
    m_hidden.log(step, ar.hidden_fraction());
    m_state.log(step, static_cast<double>(opt.state_bytes()));
    if (rank == 0) {
      m_loss.log(step, loss);
      m_lr.log(step, lr);
      m_norm.log(step, norm);
      m_step.log(step, step_max);
      m_tps.log(step, static_cast<double>(o.batch_size) * mc.context / step_max);
    }
    orrery::progress(static_cast<double>(step + 1), static_cast<double>(o.steps));

    const std::int64_t done = step + 1;
    if (done % o.val_interval == 0 || done == o.steps) {
      double val_sum = 0, val_loss = 0;
      {
        orrery::ScopedSpan s("compute", "validation", step);
        const int per_rank = o.val_batches * local_batch;
        for (int k = 0; k < o.val_batches; ++k) {
          val_data.fill_fixed(static_cast<std::int64_t>(rank) * per_rank + k * local_batch, local_batch, inputs, targets);
          val_sum += static_cast<double>(kernels->forward(inputs.data(), targets.data(), local_batch, mc.context)) *
                     static_cast<double>(local_tokens);
        }
      }
      MPI_Allreduce(&val_sum, &val_loss, 1, MPI_DOUBLE, MPI_SUM, comm);
      val_loss /= static_cast<double>(o.val_batches) * o.batch_size * mc.context;
      if (rank == 0) {
        m_val.log(step, val_loss);
        std::printf("orrery-gpt-train: step %lld train loss %.4f val loss %.4f lr %.2e grad norm %.3f %.0f tokens/s "
                    "all-reduce %.1f ms (%.0f %% hidden)\n",
                    static_cast<long long>(done), loss, val_loss, static_cast<double>(lr), norm,
                    static_cast<double>(o.batch_size) * mc.context / step_max, ar.comm_s * 1e3,
                    100 * ar.hidden_fraction());
        if (o.sample_tokens > 0) {
          kernels->sync_to_host(*model, opt);
          const std::string text = sample_text(*model, tok, o.sample_tokens, sampler);
          orrery::event("sample", text, step);
        }
        std::fflush(stdout);
      }
    }
    if ((o.checkpoint_interval > 0 && done % o.checkpoint_interval == 0) || done == last || checkpoint_now) save(done);
  }
  if (rank == 0 && timed_steps > 0) {
    const double step_s = timed_s / static_cast<double>(timed_steps);
    const double tps = static_cast<double>(o.batch_size) * mc.context / step_s;
    char gather_note[64] = "";
    if (sharded)
      std::snprintf(gather_note, sizeof gather_note, ", parameter all-gather %.2f ms a step",
                    1e3 * timed_gather_s / static_cast<double>(timed_steps));
    std::printf("orrery-gpt-train: summary: %lld timed steps, mean step %.4f s, %.0f tokens/s, MFU %.3f of rank 0's "
                "%s peak %.1f GFLOP/s (per rank), %s %.2f ms a step, %.0f %% hidden%s\n",
                static_cast<long long>(timed_steps), step_s, tps, tps / ranks * flops_per_token / peak, kernels->peak_name(),
                peak / 1e9,
                sharded ? "reduce-scatter" : "all-reduce", 1e3 * timed_comm_s / static_cast<double>(timed_steps),
                timed_comm_s > 0 ? 100 * std::clamp(1 - timed_exposed_s / timed_comm_s, 0.0, 1.0) : 0.0,
                gather_note);
    std::fflush(stdout);
  }
}

}  // namespace orrery::gpt
