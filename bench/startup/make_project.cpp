// bench_startup_project DIR N: a project of N finished runs in Orrery's real
// on-disk format (run.json written by core's RunRecord code, run.h5 by the
// agent's RunH5Writer): 2 ranks × 2 metrics × 1,000 steps each, varied kinds,
// names and statuses, so the runs browser has real work to do.
#include "runfiles/project.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "runfiles/run_record.hpp"

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

using namespace orrery::runfiles;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_startup_project DIR N\n";
    return 2;
  }
  const Project project = open_project(std::filesystem::path(argv[1]), true);
  const int runs = std::stoi(argv[2]);
  const char* experiments[] = {"lr-sweep", "bw-scan", "pi-check", "ablation"};
  const RunStatus outcomes[] = {RunStatus::Succeeded, RunStatus::Succeeded, RunStatus::Failed, RunStatus::Cancelled};
  for (int i = 0; i < runs; ++i) {
    const std::string name = std::string(experiments[i % 4]) + "-" + std::to_string(i);
    RunRecord record;
    record.id = make_run_id(project, name);
    record.name = name;
    record.kind = i % 2 ? "command" : "allreduce-bench";
    record.ranks = 2;
    record.tags = {"bench", std::string("experiment:") + experiments[i % 4]};
    record.status = outcomes[i % 4];
    record.created = 1.79e9 + i * 600.0;
    record.started = record.created + 1;
    record.ended = record.started + 300 + i;
    record.progress_done = record.progress_total = 1000;
    if (record.status == RunStatus::Failed) record.reason = "rank 1 exited with code 7";
    const auto dir = run_path(project, record.id);
    std::filesystem::create_directories(dir / "logs");

    RunH5Writer writer(dir / "run.h5", RunH5Info{record.id, record.kind, record.ranks});
    std::vector<std::int64_t> steps(1000);
    std::vector<double> times(1000), loss(1000), accuracy(1000);
    for (int rank = 0; rank < 2; ++rank) {
      for (int s = 0; s < 1000; ++s) {
        steps[s] = s;
        times[s] = record.started + s * 0.3;
        loss[s] = 2.0 * std::exp(-s / 300.0) + 0.01 * rank + 0.05 * std::sin(s * 0.7 + i);
        accuracy[s] = 1.0 - loss[s] / 2.5;
      }
      writer.append_series("metrics", rank, "loss", steps, times, loss);
      writer.append_series("metrics", rank, "accuracy", steps, times, accuracy);
    }
    writer.flush();
    writer.close();
    write_run_record(dir, record);
  }
  std::cout << runs << " runs in " << project.runs_dir().string() << "\n";
  return 0;
}
