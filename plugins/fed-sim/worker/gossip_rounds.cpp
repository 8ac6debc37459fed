#include "gossip_rounds.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <orrery/runtime.hpp>

#include "fed/gossip.hpp"
#include "fed/outages.hpp"
#include "fed/sampling.hpp"
#include <orrery/mpi_handles.hpp>

namespace orrery::fed {

RunSummary run_gossip_rounds(Simulation& sim, int rank, int ranks) {
  const Config& c = sim.cfg;
  const std::size_t np = sim.global.size(), n = sim.clients();
  if (np > static_cast<std::size_t>(std::numeric_limits<int>::max()) || n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument("the model or the node count is too large for one MPI message");
  const RankBlocks blocks{n, ranks};
  const std::size_t lo = blocks.first(rank), hi = blocks.first(rank + 1);
  const mpi::ContiguousType model_type(np, mpi::kFloat), record_type(5, mpi::kDouble);
  const bool root = rank == 0;

  const orrery::Metric test_accuracy("test_accuracy"), test_loss("test_loss"), node_accuracy("node_accuracy"),
      activation_var("activation_var"), consensus("consensus_distance"), train_loss("train_loss"),
      virtual_time("virtual_time_s"), round_virtual("round_virtual_s"), bytes_sent("bytes_sent"),
      rank_clients("rank_clients_trained"), nodes_down("nodes_down"), links_down("links_down"),
      region_accuracy("region_accuracy"), honest_accuracy("honest_node_accuracy");
  Gossip gossip(sim);
  TrainScratch scratch;
  std::vector<std::size_t> mine(hi - lo);
  std::iota(mine.begin(), mine.end(), lo);
  std::vector<float> my_trained(mine.size() * np), all_trained(n * np);
  std::vector<ClientRecord> my_records(mine.size()), all_records(n);
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    counts[static_cast<std::size_t>(r)] = static_cast<int>(blocks.first(r + 1) - blocks.first(r));
    displs[static_cast<std::size_t>(r)] = static_cast<int>(blocks.first(r));
  }

  // Node accuracy and activation variance over at most 100 evenly spread nodes (evaluating
  // 10,000 models every round would dwarf the training).
  std::vector<std::size_t> probes;
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 100); ++i) probes.push_back(i * n / std::min<std::size_t>(n, 100));

  // The disaster's region (nodes [0, fraction x n)), at most 100 of its nodes evaluated.
  std::vector<std::size_t> region;
  const auto region_size = static_cast<std::size_t>(std::floor(c.outage.disaster_fraction * static_cast<double>(n)));
  for (std::size_t i = 0; i < std::min<std::size_t>(region_size, 100); ++i)
    region.push_back(i * region_size / std::min<std::size_t>(region_size, 100));
  RunSummary summary;
  double vt = 0, bytes = 0;
  Evaluation last{};
  const double start = orrery::now();
  for (std::int64_t round = 1; round <= c.rounds; ++round) {
    // Every rank draws the same outages for the round.
    const Outages out = outages_at(c.outage, sim.topology, static_cast<std::uint64_t>(c.seed), round);
    {
      orrery::ScopedSpan timed("compute", "local training", round);
      gossip.train(mine, round, my_trained, my_records, scratch, out.node_down);
    }
    rank_clients.log(round, static_cast<double>(mine.size()));
    {
      orrery::ScopedSpan timed("comm", "allgather models", round);
      MPI_Allgatherv(my_records.data(), static_cast<int>(mine.size()), record_type.get(), all_records.data(),
                     counts.data(), displs.data(), record_type.get(), mpi::kWorld);
      MPI_Allgatherv(my_trained.data(), static_cast<int>(mine.size()), model_type.get(), all_trained.data(),
                     counts.data(), displs.data(), model_type.get(), mpi::kWorld);
    }
    {
      orrery::ScopedSpan timed("compute", "gossip averaging", round);
      gossip.mix(all_trained, out.active);
    }
    summary.client_rounds += n;
    if (root) {
      const RoundOutcome o = summarize(all_records);
      vt += o.seconds;
      // Each node sends its model over each of its links that is up.
      for (const auto& l : out.active.neighbours) bytes += static_cast<double>(l.size()) * sim.model_bytes();
      train_loss.log(round, o.train_loss);
      virtual_time.log(round, vt);
      round_virtual.log(round, o.seconds);
      bytes_sent.log(round, bytes);
      nodes_down.log(round, static_cast<double>(std::count(out.node_down.begin(), out.node_down.end(), true)));
      links_down.log(round, static_cast<double>(out.links_down));
      if (round % c.eval_every == 0 || round == c.rounds) {
        orrery::ScopedSpan timed("compute", "evaluation", round);
        last = evaluate(*sim.model, gossip.average(), sim.data.test);
        double acc = 0, var = 0, honest = 0, honest_nodes = 0;
        for (std::size_t k : probes) {
          const double a = evaluate(*sim.model, gossip.model(k), sim.data.test).accuracy;
          acc += a;
          var += activation_variance(*sim.model, gossip.model(k), sim.data.test, 200);
          if (!sim.byzantine[k]) honest += a, honest_nodes += 1;
        }
        if (c.byzantine_fraction > 0 && honest_nodes > 0) honest_accuracy.log(round, honest / honest_nodes);
        const auto m = static_cast<double>(probes.size());
        test_accuracy.log(round, last.accuracy);
        test_loss.log(round, last.loss);
        node_accuracy.log(round, acc / m);
        activation_var.log(round, var / m);
        consensus.log(round, gossip.consensus_distance());
        if (!region.empty()) {
          double racc = 0;
          for (std::size_t k : region) racc += evaluate(*sim.model, gossip.model(k), sim.data.test).accuracy;
          region_accuracy.log(round, racc / static_cast<double>(region.size()));
        }
        std::printf("round %lld/%lld: averaged model accuracy %.4f, mean node accuracy %.4f, activation variance %.4f\n",
                    static_cast<long long>(round), static_cast<long long>(c.rounds), last.accuracy, acc / m, var / m);
        std::fflush(stdout);
      }
    }
    orrery::progress(static_cast<double>(round), static_cast<double>(c.rounds));
  }
  summary.wall_s = orrery::now() - start;
  summary.accuracy = last.accuracy;
  return summary;
}

}  // namespace orrery::fed
