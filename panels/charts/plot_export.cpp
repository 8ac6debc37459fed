#include "charts/plot_export.hpp"

#include "charts/chart_export.hpp"
#include "charts/metric_chart.hpp"
#include "common/display.hpp"
#include "series/load_run_h5.hpp"

#include <QApplication>

#include <cstdlib>
#include <stdexcept>

namespace orrery::panels {

void use_offscreen_platform_without_display() {
  if (!display_available()) setenv("QT_QPA_PLATFORM", "offscreen", 1);
}

std::unique_ptr<QApplication> start_application_for_drawing() {
  if (QCoreApplication::instance()) return nullptr;
  use_offscreen_platform_without_display();
  // QApplication keeps a reference to argc: it must outlive the application.
  static int qt_argc = 1;
  static char name[] = "orrery";
  static char* qt_argv[] = {name, nullptr};
  return std::make_unique<QApplication>(qt_argc, qt_argv);
}

std::unique_ptr<MetricChart> offscreen_chart(std::shared_ptr<series::SeriesStore> store, const QString& metric,
                                             const std::vector<ChartRun>& runs, const ChartOptions& options, QSize size) {
  auto chart = std::make_unique<MetricChart>(std::move(store), metric);
  chart->setAttribute(Qt::WA_DontShowOnScreen);  // laid out and painted, never on a screen
  chart->resize(size);
  chart->show();
  chart->setOptions(options);
  chart->setRuns(runs);
  chart->updateNow();
  // Axes, labels and legend are laid out from posted layout requests: let them run.
  for (int i = 0; i < 3; ++i) QCoreApplication::processEvents();
  return chart;
}

void export_run_plot(const PlotExport& request) {
  if (request.runs.empty()) throw std::runtime_error("no run to draw");
  auto store = std::make_shared<series::SeriesStore>();
  const std::string metric = request.metric.toStdString();
  std::vector<ChartRun> chart_runs;
  for (const PlotRun& run : request.runs) {
    series::load_run_h5(*store, run.run_id, run.run_h5,
                        [&](const runfiles::SeriesKey& key) { return key.group == "metrics"; });
    std::string available;
    bool found = false;
    std::string last;
    for (const auto& key : store->keys_of_run(run.run_id)) {
      if (key.group != "metrics" || key.name == last) continue;
      last = key.name;
      found = found || key.name == metric;
      available += (available.empty() ? "" : ", ") + key.name;
    }
    if (!found) {
      throw std::runtime_error("run " + run.run_id + " has no metric '" + metric + "'" +
                               (available.empty() ? std::string(" (it has no metrics)") : " (it has: " + available + ")"));
    }
    chart_runs.push_back({run.run_id, run.label.isEmpty() ? QString::fromStdString(run.run_id) : run.label});
  }

  auto chart = offscreen_chart(store, request.metric, chart_runs, request.options, request.size);
  for (const QString& file : request.files) {
    QString error;
    if (!export_chart(*chart, file, &error)) throw std::runtime_error(error.toStdString());
  }
}

}  // namespace orrery::panels
