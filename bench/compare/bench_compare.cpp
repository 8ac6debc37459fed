// bench_compare [--runs N] [--metrics M] [--steps S] [--repeat R]
//
// Writes N finished runs (1 rank, M metrics of S steps each, 3 parameters of which 2
// differ) with the run.h5 writer into a temporary project, then times what the
// comparison panel does with them: loading every run (core/compare's load_compared_run,
// one pool task per run through QtConcurrent::mapped, as the panel does, and on one
// thread), and sorting the table (CompareTableModel::sort) by a parameter, by the final
// and the best value of a metric. Prints medians of R repeats and the peak RSS.
#include "compare/compare_table_model.hpp"
#include "compare/compared_run.hpp"
#include "runfiles/project.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "runfiles/run_record.hpp"

#include <QCoreApplication>
#include <QtConcurrent/QtConcurrentMap>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  int runs = 200, metrics = 10, steps = 10'000, repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--runs") runs = v;
    else if (a == "--metrics") metrics = v;
    else if (a == "--steps") steps = v;
    else if (a == "--repeat") repeat = v;
    else {
      std::fprintf(stderr, "usage: bench_compare [--runs N] [--metrics M] [--steps S] [--repeat R]\n");
      return 2;
    }
  }
  char tmpl[] = "/tmp/orrery-bench-compare-XXXXXX";
  if (!::mkdtemp(tmpl)) return 1;
  const std::filesystem::path root = tmpl;
  const auto project = orrery::runfiles::open_project(root, true);

  auto t0 = Clock::now();
  QStringList ids;
  std::vector<std::int64_t> step_column(static_cast<std::size_t>(steps));
  std::vector<double> times(static_cast<std::size_t>(steps)), values(static_cast<std::size_t>(steps));
  for (int s = 0; s < steps; ++s) {
    step_column[static_cast<std::size_t>(s)] = s;
    times[static_cast<std::size_t>(s)] = 1.7e9 + s;
  }
  for (int r = 0; r < runs; ++r) {
    const std::string name = "run-" + std::to_string(r);
    const std::string id = orrery::runfiles::make_run_id(project, name);
    const auto dir = orrery::runfiles::run_path(project, id);
    std::filesystem::create_directories(dir);
    orrery::runfiles::RunRecord record;
    record.id = id;
    record.name = name;
    record.kind = "command";
    record.ranks = 1;
    record.status = orrery::runfiles::RunStatus::Succeeded;
    record.spec = {{"kind", "command"}, {"name", name}, {"ranks", 1},
                   {"params", {{"lr", 1e-4 * (1 + r % 17)}, {"opt", r % 3 == 0 ? "sgd" : "adamw"}, {"seed", 1}}}};
    orrery::runfiles::write_run_record(dir, record);
    orrery::runfiles::RunH5Writer writer(dir / "run.h5", {id, "command", 1});
    for (int m = 0; m < metrics; ++m) {
      for (int s = 0; s < steps; ++s)
        values[static_cast<std::size_t>(s)] = std::exp(-s * 1e-3 * (1 + (r * 7 + m) % 11)) + 0.01 * ((s * 31 + r) % 13);
      const std::string metric = m == 0 ? "loss" : "metric_" + std::to_string(m);
      writer.append_series("metrics", 0, metric, step_column, times, values);
    }
    writer.close();
    ids << QString::fromStdString(id);
  }
  std::printf("wrote %d runs x %d metrics x %d steps in %.2f s (%s)\n", runs, metrics, steps, seconds_since(t0), root.c_str());

  std::vector<double> pool_load, serial_load, sort_param, sort_final, sort_best;
  std::vector<orrery::compare::ComparedRun> loaded;
  for (int rep = 0; rep < repeat; ++rep) {
    t0 = Clock::now();
    auto future = QtConcurrent::mapped(ids, [&project](const QString& id) {
      return orrery::compare::load_compared_run(project, id.toStdString());
    });
    future.waitForFinished();
    pool_load.push_back(seconds_since(t0));
    const QList<orrery::compare::ComparedRun> results = future.results();
    loaded.assign(results.begin(), results.end());

    t0 = Clock::now();
    for (const QString& id : ids) (void)orrery::compare::load_compared_run(project, id.toStdString());
    serial_load.push_back(seconds_since(t0));

    std::vector<const orrery::compare::ComparedRun*> shown;
    for (const auto& run : loaded) {
      if (!run.loaded()) {
        std::fprintf(stderr, "run %s: %s\n", run.id.c_str(), run.error.c_str());
        return 1;
      }
      shown.push_back(&run);
    }
    orrery::panels::CompareTableModel model;
    model.setContent(shown, {"params.lr", "params.opt"}, "loss", steps / 2, orrery::compare::BestRule::ByName);
    const auto timed_sort = [&model](int column, std::vector<double>& out) {
      const auto start = Clock::now();
      model.sort(column, Qt::AscendingOrder);
      model.sort(column, Qt::DescendingOrder);
      out.push_back(seconds_since(start) / 2);
    };
    timed_sort(model.paramColumn("params.lr"), sort_param);
    timed_sort(model.finalColumn(), sort_final);
    timed_sort(model.bestColumn(), sort_best);
  }
  std::printf("load (QtConcurrent::mapped, %d pool threads): median %.3f s (%.1f ms/run)\n",
              QThreadPool::globalInstance()->maxThreadCount(), median(pool_load), 1e3 * median(pool_load) / runs);
  std::printf("load (one thread):                         median %.3f s (%.1f ms/run)\n", median(serial_load),
              1e3 * median(serial_load) / runs);
  std::printf("sort %d rows by params.lr: %.3f ms, by loss final: %.3f ms, by loss best: %.3f ms (medians)\n", runs,
              1e3 * median(sort_param), 1e3 * median(sort_final), 1e3 * median(sort_best));
  std::printf("peak RSS %ld MiB\n", peak_rss_mib());
  std::filesystem::remove_all(root);
  return 0;
}
