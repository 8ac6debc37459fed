#include "charts/plot_export.hpp"

#include "charts/chart_export.hpp"
#include "charts/metric_chart.hpp"
#include "common/display.hpp"
#include "series/load_run_h5.hpp"

#include <QCoreApplication>

#include <cstdlib>
#include <stdexcept>

namespace orrery::panels {

void use_offscreen_platform_without_display() {
  if (!display_available()) setenv("QT_QPA_PLATFORM", "offscreen", 1);
}

void export_run_plot(const PlotExport& request) {
  auto store = std::make_shared<series::SeriesStore>();
  const std::string metric = request.metric.toStdString();
  series::load_run_h5(*store, request.run_id, request.run_h5, [&](const runfiles::SeriesKey& key) {
    return key.group == "metrics";
  });
  std::string available;
  bool found = false;
  std::string last;
  for (const auto& key : store->keys_of_run(request.run_id)) {
    if (key.group != "metrics" || key.name == last) continue;
    last = key.name;
    found = found || key.name == metric;
    available += (available.empty() ? "" : ", ") + key.name;
  }
  if (!found) {
    throw std::runtime_error("run " + request.run_id + " has no metric '" + metric + "'" +
                             (available.empty() ? std::string(" (it has no metrics)") : " (it has: " + available + ")"));
  }

  MetricChart chart(store, request.metric);
  chart.setAttribute(Qt::WA_DontShowOnScreen);  // laid out and painted, never on a screen
  chart.resize(request.size);
  chart.show();
  chart.setOptions(request.options);
  chart.setRuns({{request.run_id, request.label.isEmpty() ? QString::fromStdString(request.run_id) : request.label}});
  chart.updateNow();
  // Axes, labels and legend are laid out from posted layout requests: let them run.
  for (int i = 0; i < 3; ++i) QCoreApplication::processEvents();
  for (const QString& file : request.files) {
    QString error;
    if (!export_chart(chart, file, &error)) throw std::runtime_error(error.toStdString());
  }
}

}  // namespace orrery::panels
