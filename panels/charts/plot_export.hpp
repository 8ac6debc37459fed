// `orrery export RUN --plot METRIC --png/--svg/--pdf FILE`: the chart of one metric
// of one run, drawn from its run.h5 by the same chart the workbench shows (offscreen,
// at a fixed size), written to files by suffix. Needs a QApplication.
#pragma once

#include "charts/series_reducer.hpp"

#include <QSize>
#include <QString>
#include <QStringList>

#include <filesystem>
#include <string>

namespace orrery::panels {

struct PlotExport {
  std::string run_id;
  QString label;                      // legend text; the run id when empty
  std::filesystem::path run_h5;
  QString metric;
  QStringList files;                  // .png, .svg, .pdf or .csv each
  ChartOptions options;
  QSize size{1200, 700};
};

// Throws std::runtime_error with a message for the user: run.h5 unreadable, no such
// metric (the message lists the run's metrics), a file that cannot be written.
void export_run_plot(const PlotExport& request);

// For a command-line tool about to create its QApplication: render offscreen when
// there is no display (neither DISPLAY nor WAYLAND_DISPLAY), unless QT_QPA_PLATFORM is set.
void use_offscreen_platform_without_display();

}  // namespace orrery::panels
