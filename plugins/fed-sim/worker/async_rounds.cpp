#include "async_rounds.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <vector>

#include <orrery/runtime.hpp>

#include "fed/async_run.hpp"
#include "fed/sampling.hpp"
#include <orrery/mpi_handles.hpp>

namespace orrery::fed {

RunSummary run_async_rounds(Simulation& sim, int rank, int ranks) {
  const Config& c = sim.cfg;
  const std::size_t np = sim.global.size();
  if (np > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument("the model is too large for one MPI message");
  const RankBlocks blocks{sim.clients(), ranks};
  const mpi::ContiguousType model_type(np, mpi::kFloat), record_type(5, mpi::kDouble);
  const bool root = rank == 0;

  const orrery::Metric test_accuracy("test_accuracy"), test_loss("test_loss"), train_loss("train_loss"),
      virtual_time("virtual_time_s"), bytes_sent("bytes_sent"), participants("participants"),
      staleness("staleness"), byzantine_participants("byzantine_participants"), rank_clients("rank_clients_trained"),
      accuracy_by_time("test_accuracy_by_virtual_ms"), clients_crashed("clients_crashed");
  AsyncRun run(sim);
  TrainScratch scratch;
  std::vector<ClientRecord> my_records, all_records;
  std::vector<float> my_updates, all_updates;
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  RunSummary summary;
  double bytes = 0;
  Evaluation last{};
  const double start = orrery::now();

  auto wave = [&](std::span<const Flight> flights, std::span<ClientRecord> records, std::span<float> updates) {
    const auto step = static_cast<std::int64_t>(run.waves());
    std::fill(counts.begin(), counts.end(), 0);
    for (const Flight& f : flights) ++counts[static_cast<std::size_t>(blocks.owner(f.client))];
    for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    {
      orrery::ScopedSpan timed("compute", "local training", step);
      my_records.clear();
      my_updates.resize(static_cast<std::size_t>(counts[static_cast<std::size_t>(rank)]) * np);
      for (const Flight& f : flights) {
        if (blocks.owner(f.client) != rank) continue;
        const auto row = std::span(my_updates).subspan(my_records.size() * np, np);
        my_records.push_back(train_client(sim, f.client, run.model(f.base), f.seq, row, scratch, f.steps));
      }
    }
    rank_clients.log(step, static_cast<double>(my_records.size()));
    all_records.resize(flights.size());
    all_updates.resize(flights.size() * np);
    {
      orrery::ScopedSpan timed("comm", "allgather updates", step);
      const int n = static_cast<int>(my_records.size());
      MPI_Allgatherv(my_records.data(), n, record_type.get(), all_records.data(), counts.data(), displs.data(),
                     record_type.get(), mpi::kWorld);
      MPI_Allgatherv(my_updates.data(), n, model_type.get(), all_updates.data(), counts.data(), displs.data(),
                     model_type.get(), mpi::kWorld);
    }
    // Gathered in rank order; each rank's block lists its flights in flight order.
    std::vector<int> next(displs);
    for (std::size_t i = 0; i < flights.size(); ++i) {
      const auto slot = static_cast<std::size_t>(next[static_cast<std::size_t>(blocks.owner(flights[i].client))]++);
      records[i] = all_records[slot];
      std::copy_n(all_updates.begin() + static_cast<std::ptrdiff_t>(slot * np), np,
                  updates.begin() + static_cast<std::ptrdiff_t>(i * np));
    }
    summary.client_rounds += flights.size();
  };

  auto on_version = [&](const VersionMade& v) {
    bytes += 2.0 * sim.model_bytes() * static_cast<double>(v.updates);
    if (root) {
      const bool eval = v.version % c.eval_every == 0 || v.version == c.rounds;
      if (eval) {
        orrery::ScopedSpan timed("compute", "evaluation", v.version);
        last = evaluate(*sim.model, sim.global, sim.data.test);
        test_accuracy.log(v.version, last.accuracy);
        test_loss.log(v.version, last.loss);
        // The same accuracy with virtual milliseconds as its step: its chart has virtual time on the x axis.
        accuracy_by_time.log(std::llround(v.time * 1e3), last.accuracy);
        std::printf("version %lld/%lld: test accuracy %.4f, test loss %.4f, virtual time %.3f s\n",
                    static_cast<long long>(v.version), static_cast<long long>(c.rounds), last.accuracy, last.loss,
                    v.time);
        std::fflush(stdout);
      }
      train_loss.log(v.version, v.train_loss);
      virtual_time.log(v.version, v.time);
      if (c.outage.crash_prob > 0) clients_crashed.log(v.version, static_cast<double>(run.crashes()));   // flights lost so far
      bytes_sent.log(v.version, bytes);
      participants.log(v.version, static_cast<double>(v.updates));
      staleness.log(v.version, v.mean_staleness);
      byzantine_participants.log(v.version, static_cast<double>(v.byzantine));
    }
    orrery::progress(static_cast<double>(v.version), static_cast<double>(c.rounds));
  };

  run.run(wave, on_version);
  summary.wall_s = orrery::now() - start;
  summary.accuracy = last.accuracy;
  if (root) {
    // How many updates arrived with each staleness (step = staleness).
    const orrery::Metric histogram("staleness_count");
    const auto& counts_by_staleness = run.staleness_counts();
    for (std::size_t s = 0; s < counts_by_staleness.size(); ++s)
      histogram.log(static_cast<std::int64_t>(s), static_cast<double>(counts_by_staleness[s]));
    // Per-client participation counts, one point per client (step = client id).
    const orrery::Metric part("client_participation");
    const auto& arrivals = run.participation();
    for (std::size_t k = 0; k < arrivals.size(); ++k) part.log(static_cast<std::int64_t>(k), arrivals[k]);
  }
  return summary;
}

}  // namespace orrery::fed
