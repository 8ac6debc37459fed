// bench_live: how responsive the UI thread stays while a real run streams into the
// workbench's RunDataService.
//
//   bench_live [--ranks 16] [--rate 1000] [--seconds 20] [--metrics 4]
//
// Launches a `command` run of bench_flood_worker (each rank logs --rate points/s through
// the Orrery runtime, round-robin over --metrics names) with the real orrery-agent and
// mpirun, watches it with a RunDataService, and on the UI thread runs a minimal consumer
// (on every dataArrived it reads each series' size and last value, as a chart's cheap
// update does) and a 10 ms PreciseTimer. Event-loop latency = how late each timer tick
// fires; p50/p99/max over the run's live period, and the same on an idle loop first as
// the reference. At the end the store is compared with run.h5 (same point count per series).
#include "common/run_data_service.hpp"
#include "launch/local_launcher.hpp"
#include "runfiles/run_h5_reader.hpp"
#include "spec/kind_catalog.hpp"
#include "spec/spec.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Options {
  int ranks = 16, metrics = 4;
  double rate = 1000, seconds = 20;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const double v = std::atof(argv[i + 1]);
    if (flag == "--ranks") o.ranks = static_cast<int>(v);
    else if (flag == "--rate") o.rate = v;
    else if (flag == "--seconds") o.seconds = v;
    else if (flag == "--metrics") o.metrics = static_cast<int>(v);
    else {
      std::fprintf(stderr, "usage: bench_live [--ranks N] [--rate POINTS_PER_S_PER_RANK] [--seconds S] [--metrics M]\n");
      std::exit(2);
    }
  }
  return o;
}

// Lateness of a periodic timer, in ms.
class LatencyProbe {
 public:
  explicit LatencyProbe(int period_ms) : period_ms_(period_ms) {
    timer_.setTimerType(Qt::PreciseTimer);
    QObject::connect(&timer_, &QTimer::timeout, [this] {
      const double elapsed = static_cast<double>(clock_.nsecsElapsed()) / 1e6;
      clock_.restart();
      if (recording_) late_ms_.push_back(std::max(0.0, elapsed - period_ms_));
    });
  }
  void start() {
    late_ms_.clear();
    recording_ = true;
    clock_.start();
    timer_.start(period_ms_);
  }
  std::vector<double> stop() {
    recording_ = false;
    timer_.stop();
    return late_ms_;
  }

 private:
  int period_ms_;
  QTimer timer_;
  QElapsedTimer clock_;
  bool recording_ = false;
  std::vector<double> late_ms_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void report(const char* what, const std::vector<double>& late) {
  std::printf("%-28s ticks=%zu  p50=%.2f ms  p99=%.2f ms  max=%.2f ms\n", what, late.size(), percentile(late, 0.50),
              percentile(late, 0.99), late.empty() ? 0.0 : *std::max_element(late.begin(), late.end()));
}

void run_loop_for(int ms) {
  QTimer::singleShot(ms, qApp, &QCoreApplication::quit);
  QCoreApplication::exec();
}

}  // namespace

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  const Options opt = parse(argc, argv);
  QTemporaryDir dir;
  const auto project = orrery::runfiles::open_project(std::filesystem::path(dir.path().toStdString()), true);
  const auto paths = orrery::launch::InstallPaths::from_executable();
  const auto kinds = orrery::spec::KindCatalog::load({paths.share_dir / "kinds"});
  const auto points = static_cast<long long>(opt.rate * opt.seconds);
  nlohmann::json spec = {
      {"kind", "command"},
      {"name", "live-bench"},
      {"ranks", opt.ranks},
      {"params",
       {{"argv",
         {(paths.bin_dir / "bench_flood_worker").string(), "--points", std::to_string(points), "--metrics",
          std::to_string(opt.metrics), "--rate", std::to_string(opt.rate), "--pace", "sleep", "--progress-every", "1000"}}}}};
  auto validation = orrery::spec::validate_spec(spec, kinds);
  if (!validation.ok()) {
    std::fprintf(stderr, "bench_live: invalid spec\n");
    return 1;
  }

  LatencyProbe probe(10);
  probe.start();
  run_loop_for(3000);
  report("idle event loop", probe.stop());

  const auto launched = orrery::launch::launch_local(project, *kinds.find("command"), *validation.spec, paths);
  const std::string run_id = launched.run_id;
  auto store = std::make_shared<orrery::series::SeriesStore>();
  orrery::panels::RunDataService service(project, store);

  // The minimal consumer: what a chart does per update before it decimates off-thread.
  std::size_t emissions = 0, seen_points = 0;
  double consumer_ms = 0;
  QObject::connect(&service, &orrery::panels::RunDataService::dataArrived, [&] {
    QElapsedTimer t;
    t.start();
    ++emissions;
    std::size_t total = 0;
    double last = 0;
    for (const auto& key : store->keys_of_run(run_id)) {
      auto s = store->find(key);
      if (!s) continue;
      s->read([&](const orrery::series::Columns& c) {
        total += c.values.size();
        if (!c.values.empty()) last += c.values.back();
      });
    }
    seen_points = total + (last == 12345.678 ? 1 : 0);   // keep `last` observable
    consumer_ms += static_cast<double>(t.nsecsElapsed()) / 1e6;
  });
  bool ended = false;
  QElapsedTimer live_clock;
  QObject::connect(&service, &orrery::panels::RunDataService::runStatusChanged, [&](const QString&, const QString& s) {
    if (s == "running" && !live_clock.isValid()) {
      live_clock.start();
      probe.start();
    }
    auto parsed = orrery::runfiles::parse_status(s.toStdString());
    if (parsed && orrery::runfiles::is_final(*parsed)) {
      ended = true;
      std::printf("run %s: %s\n", run_id.c_str(), qPrintable(s));
      QCoreApplication::quit();
    }
  });
  service.watchRuns({QString::fromStdString(run_id)});
  QTimer::singleShot(static_cast<int>(opt.seconds * 1000 + 120000), qApp, &QCoreApplication::quit);
  QCoreApplication::exec();
  const auto late = probe.stop();
  const double live_s = live_clock.isValid() ? static_cast<double>(live_clock.elapsed()) / 1000.0 : 0;
  if (!ended) {
    std::printf("bench_live: the run did not end in time\n");
    return 1;
  }
  std::printf("%d ranks x %.0f points/s (%d metrics), %.1f s live, %zu dataArrived (%.1f /s), consumer %.3f ms total\n",
              opt.ranks, opt.rate, opt.metrics, live_s, emissions, live_s > 0 ? static_cast<double>(emissions) / live_s : 0.0,
              consumer_ms);
  report("while streaming", late);

  // The store against run.h5 (the service is idle once the run has ended).
  std::size_t in_store = 0, in_file = 0, series_differ = 0;
  orrery::runfiles::RunH5Reader reader(launched.run_dir / "run.h5");
  for (const auto& key : reader.list_series()) {
    const auto n = reader.read_series(key).values.size();
    auto s = store->find({run_id, key.group, key.name, key.rank});
    const auto m = s ? s->size() : 0;
    if (key.group == "metrics") {
      in_file += n;
      in_store += m;
    }
    series_differ += n != m;
  }
  std::printf("metric points: run.h5 %zu, store %zu, series differing %zu, repairs %d (expected %lld)\n", in_file,
              in_store, series_differ, service.repairs(), points * opt.ranks);
  return series_differ == 0 && percentile(late, 0.99) <= 50.0 ? 0 : 3;
}
