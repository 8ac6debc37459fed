// `orrery export RUN... --plot METRIC --png/--svg/--pdf FILE`: the chart of one metric
// of one or more runs (overlaid, one legend entry each), drawn from its run.h5 by the same chart the workbench shows (offscreen,
// at a fixed size), written to files by suffix. Needs a QApplication.
#pragma once

#include "charts/series_reducer.hpp"

#include <QSize>
#include <QString>
#include <QStringList>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

class QApplication;

namespace orrery::panels {

class MetricChart;

struct PlotRun {
  std::string run_id;
  QString label;                      // legend text; the run id when empty
  std::filesystem::path run_h5;
};

struct PlotExport {
  std::vector<PlotRun> runs;          // one line (or band) per run, overlaid on one chart
  QString metric;
  QStringList files;                  // .png, .svg, .pdf or .csv each
  ChartOptions options;
  QSize size{1200, 700};
};

// Throws std::runtime_error with a message for the user: a run.h5 unreadable, a run without
// the metric (the message names the run and lists its metrics), a file that cannot be written.
void export_run_plot(const PlotExport& request);

// For a command-line tool about to create its QApplication: render offscreen when
// there is no display (neither DISPLAY nor WAYLAND_DISPLAY), unless QT_QPA_PLATFORM is set.
void use_offscreen_platform_without_display();

// For a command-line tool: the QApplication that drawing charts needs (offscreen when there
// is no display); null when the process already has one.
std::unique_ptr<QApplication> start_application_for_drawing();

// A chart of metric over runs (their series already in store), laid out and drawn at size
// but never shown on a screen: what the exports and reports render from.
std::unique_ptr<MetricChart> offscreen_chart(std::shared_ptr<series::SeriesStore> store, const QString& metric,
                                             const std::vector<ChartRun>& runs, const ChartOptions& options, QSize size);

}  // namespace orrery::panels
