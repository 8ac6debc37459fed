#include "sync_rounds.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

#include <orrery/runtime.hpp>

#include "fed/exact_sum.hpp"
#include "fed/round_plan.hpp"
#include "fed/sampling.hpp"
#include "fed/sequential_coding.hpp"
#include <orrery/mpi_handles.hpp>

namespace orrery::fed {

namespace {

// The job's figures, reported by rank 0 with step = round.
struct RoundMetrics {
  orrery::Metric test_accuracy{"test_accuracy"}, test_loss{"test_loss"}, train_loss{"train_loss"},
      virtual_time{"virtual_time_s"}, round_virtual{"round_virtual_s"}, bytes_sent{"bytes_sent"},
      participants{"participants"}, aggregation_ms{"aggregation_ms"}, byzantine_participants{"byzantine_participants"},
      byzantine_accepted{"byzantine_accepted"}, clients_crashed{"clients_crashed"},
      accuracy_by_time{"test_accuracy_by_virtual_ms"}, decode_delay{"sgc_decode_delay"};
};

}  // namespace

RunSummary run_sync_rounds(Simulation& sim, int rank, int ranks) {
  const Config& c = sim.cfg;
  const std::size_t np = sim.global.size(), clients = sim.clients(), per_round = c.per_round();
  if (np > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      per_round > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument("the model or the clients per round are too large for one MPI message");
  const RankBlocks blocks{clients, ranks};
  const std::size_t lo = blocks.first(rank), hi = blocks.first(rank + 1);
  const mpi::ContiguousType model_type(np, mpi::kFloat), record_type(5, mpi::kDouble);
  const bool root = rank == 0;

  RoundMetrics m;
  const orrery::Metric rank_clients("rank_clients_trained");
  TrainScratch scratch;
  std::vector<ClientRecord> my_records, all_records(root ? per_round : 0);
  std::vector<float> my_updates, all_updates(root && !c.aggregation_tree ? per_round * np : 0);
  std::vector<std::int64_t> my_sum(c.aggregation_tree ? np : 0), total_sum(c.aggregation_tree && root ? np : 0);
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  std::vector<std::uint32_t> participation(root ? clients : 0);
  double virtual_time = 0, bytes = 0;
  Evaluation last{};
  RunSummary summary;
  const double start = orrery::now();
  // Sequential gradient coding: which slot decodes each round, planned alike on every rank.
  const SequentialSchedule sequential =
      c.sgc_delay > 0 ? plan_sequential_coding(sim, c.gradient_coding, c.sgc_delay) : SequentialSchedule{};
  double rounds_done_at = 0;   // virtual time by which rounds 1..round were all decoded

  for (std::int64_t round = 1; round <= c.rounds; ++round) {
    // Every rank draws the same sample, so each knows every rank's share without a message.
    const auto sample = sample_clients(clients, per_round, static_cast<std::uint64_t>(c.seed), round);
    // Crashed clients drop out; with gradient coding, the partitions of every group with a live member are
    // decoded; modest draws the round's aggregators.
    const RoundPlan plan = plan_round(sim, sample, round);
    const std::vector<std::size_t>& trained = plan.trained;
    std::fill(counts.begin(), counts.end(), 0);
    for (std::size_t id : trained) ++counts[static_cast<std::size_t>(blocks.owner(id))];
    for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    const auto first = std::lower_bound(trained.begin(), trained.end(), lo);
    const auto last_mine = std::lower_bound(first, trained.end(), hi);
    const std::span<const std::size_t> mine(first, last_mine);
    my_records.resize(mine.size());
    my_updates.resize(mine.size() * np);
    if (root) {   // this round's participants only (crashes leave fewer than per_round)
      all_records.resize(trained.size());
      if (!c.aggregation_tree) all_updates.resize(trained.size() * np);
    }

    {
      orrery::ScopedSpan timed("compute", "local training", round);
      train_clients(sim, mine, round, my_records, my_updates, scratch);
    }
    rank_clients.log(round, static_cast<double>(mine.size()));
    // Aggregation time: from the end of local training to the new model on rank 0, the
    // exchange of the updates included (what the tree saves is mostly there).
    const double t0 = orrery::now();
    const int n = static_cast<int>(mine.size());
    RoundOutcome outcome;
    if (!c.aggregation_tree) {
      {
        orrery::ScopedSpan timed("comm", "gather updates", round);
        MPI_Gatherv(my_records.data(), n, record_type.get(), all_records.data(), counts.data(), displs.data(),
                    record_type.get(), 0, mpi::kWorld);
        MPI_Gatherv(my_updates.data(), n, model_type.get(), all_updates.data(), counts.data(), displs.data(),
                    model_type.get(), 0, mpi::kWorld);
      }
      if (root) {
        orrery::ScopedSpan timed("compute", "aggregation", round);
        outcome = server_step(sim, all_records, all_updates);
      }
    } else {
      {
        // This rank's share of the weighted mean, summed exactly so that any tree gives the same bits.
        orrery::ScopedSpan timed("compute", "partial aggregation", round);
        const auto weights = mean_weights(sim, trained);
        const auto offset = static_cast<std::size_t>(first - trained.begin());
        std::fill(my_sum.begin(), my_sum.end(), 0);
        for (std::size_t i = 0; i < mine.size(); ++i)
          add_fixed(my_sum, std::span<const float>(my_updates).subspan(i * np, np), weights[offset + i]);
      }
      {
        orrery::ScopedSpan timed("comm", "reduce updates", round);
        MPI_Gatherv(my_records.data(), n, record_type.get(), all_records.data(), counts.data(), displs.data(),
                    record_type.get(), 0, mpi::kWorld);
        MPI_Reduce(my_sum.data(), total_sum.data(), static_cast<int>(np), mpi::kInt64, mpi::kSum, 0, mpi::kWorld);
      }
      if (root) {
        orrery::ScopedSpan timed("compute", "aggregation", round);
        outcome = summarize(all_records);
        outcome.byzantine_accepted = static_cast<std::int64_t>(outcome.byzantine_participants);   // the mean takes all
        apply_fixed(total_sum, sim.global);
      }
    }
    const double aggregation_s = orrery::now() - t0;
    if (plan.seconds >= 0) outcome.seconds = plan.seconds;
    if (c.sgc_delay > 0) {
      const auto job = static_cast<std::size_t>(round - 1);
      const double at = std::max(rounds_done_at, sequential.decoded_at_s[job]);
      outcome.seconds = at - rounds_done_at;
      rounds_done_at = at;
    }
    if (root)
      for (std::size_t id : trained) ++participation[id];
    {
      orrery::ScopedSpan timed("comm", "broadcast model", round);
      MPI_Bcast(sim.global.data(), 1, model_type.get(), 0, mpi::kWorld);
    }

    if (root) {
      virtual_time += outcome.seconds;
      // The model down to every sampled client, an update up from every live one (modest: to each aggregator).
      bytes += sim.model_bytes() * static_cast<double>(plan.downloads + plan.uploads);
      const bool eval = round % c.eval_every == 0 || round == c.rounds;
      if (eval) {
        orrery::ScopedSpan timed("compute", "evaluation", round);
        last = evaluate(*sim.model, sim.global, sim.data.test);
        m.test_accuracy.log(round, last.accuracy);
        m.test_loss.log(round, last.loss);
        // The same accuracy with virtual milliseconds as its step: its chart has virtual time on the x axis.
        m.accuracy_by_time.log(std::llround(virtual_time * 1e3), last.accuracy);
      }
      m.train_loss.log(round, outcome.train_loss);
      m.virtual_time.log(round, virtual_time);
      m.round_virtual.log(round, outcome.seconds);
      m.bytes_sent.log(round, bytes);
      m.participants.log(round, static_cast<double>(outcome.participants));
      m.aggregation_ms.log(round, aggregation_s * 1e3);
      m.byzantine_participants.log(round, static_cast<double>(outcome.byzantine_participants));
      // With sequential coding a down client is a straggler whose work comes later, not a lost update.
      if (c.outage.crash_prob > 0 && c.sgc_delay == 0) m.clients_crashed.log(round, static_cast<double>(plan.crashed));
      if (c.sgc_delay > 0) {
        const auto job = static_cast<std::size_t>(round - 1);
        m.decode_delay.log(round, static_cast<double>(sequential.decoded[job] - sequential.started[job]));
      }
      if (outcome.byzantine_accepted >= 0)
        m.byzantine_accepted.log(round, static_cast<double>(outcome.byzantine_accepted));
      if (eval) {
        std::printf("round %lld/%lld: test accuracy %.4f, test loss %.4f, train loss %.4f, virtual time %.3f s\n",
                    static_cast<long long>(round), static_cast<long long>(c.rounds), last.accuracy, last.loss,
                    outcome.train_loss, virtual_time);
        std::fflush(stdout);
      }
    }
    summary.client_rounds += trained.size();
    orrery::progress(static_cast<double>(round), static_cast<double>(c.rounds));
  }
  summary.wall_s = orrery::now() - start;
  summary.accuracy = last.accuracy;

  if (root) {
    // Per-client participation counts, one point per client (step = client id).
    const orrery::Metric part("client_participation");
    for (std::size_t k = 0; k < clients; ++k) part.log(static_cast<std::int64_t>(k), participation[k]);
    if (c.sgc_delay > 0) {
      // The fallback outside the tolerated straggler pattern, and the load the code put on the clients.
      orrery::Metric("sgc_stall_slots").log(c.rounds, static_cast<double>(sequential.stall_slots));
      orrery::Metric("sgc_late_rounds").log(c.rounds, static_cast<double>(sequential.late_jobs));
      orrery::Metric("sgc_mean_load").log(c.rounds, sequential.mean_load);
      orrery::Metric("sgc_reattempts").log(c.rounds, static_cast<double>(sequential.reattempts));
      // The exact per-round schemes under the same stragglers (T = 0: a round waits until it is decoded):
      // uncoded FedAvg, and per-round gradient coding with pairs where the clients pair up.
      const SequentialSchedule uncoded = plan_sequential_coding(sim, 0, 0);
      const bool pairs = clients % 2 == 0;
      const double per_round_gc = pairs ? plan_sequential_coding(sim, 1, 0).total_seconds() : -1;
      orrery::Metric("sgc_uncoded_waiting_s").log(c.rounds, uncoded.total_seconds());
      if (pairs) orrery::Metric("sgc_per_round_gc_s").log(c.rounds, per_round_gc);
      std::int64_t max_delay = 0;
      for (std::size_t j = 0; j < sequential.decoded.size(); ++j)
        max_delay = std::max(max_delay, sequential.decoded[j] - sequential.started[j]);
      std::printf("sequential coding (s=%lld, T=%lld): %lld rounds in %.3f virtual s, max decoding delay %lld, "
                  "%lld stalled slots, %lld late rounds, load %.3f partitions per working client and slot; "
                  "same stragglers: uncoded waiting %.3f s, per-round coding s=1 %.3f s\n",
                  static_cast<long long>(c.gradient_coding), static_cast<long long>(c.sgc_delay),
                  static_cast<long long>(c.rounds), sequential.total_seconds(), static_cast<long long>(max_delay),
                  static_cast<long long>(sequential.stall_slots), static_cast<long long>(sequential.late_jobs),
                  sequential.mean_load, uncoded.total_seconds(), per_round_gc);
      std::fflush(stdout);
    }
  }
  return summary;
}

}  // namespace orrery::fed
