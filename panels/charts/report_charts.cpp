#include "charts/report_charts.hpp"

#include "charts/chart_export.hpp"
#include "charts/metric_chart.hpp"
#include "charts/plot_export.hpp"

#include <QBuffer>

#include <stdexcept>
#include <vector>

namespace orrery::panels {

namespace {

// Legend text: the run's name and the last part of its id, since names repeat across runs.
QString legend_label(const runfiles::RunRecord& record) {
  const auto dash = record.id.rfind('-');
  const std::string suffix = dash == std::string::npos ? record.id : record.id.substr(dash + 1);
  return QString::fromStdString(record.name.empty() ? record.id : record.name + " (" + suffix + ")");
}

}  // namespace

std::unique_ptr<MetricChart> report_chart(const ReportContent& content, const std::string& metric, QSize size) {
  std::vector<ChartRun> runs;
  for (const auto& run : content.runs) runs.push_back({run.record.id, legend_label(run.record)});
  return offscreen_chart(content.store, QString::fromStdString(metric), runs, ChartOptions{}, size);
}

QByteArray report_chart_svg(const ReportContent& content, const std::string& metric) {
  auto chart = report_chart(content, metric, QSize(960, 540));
  QBuffer buffer;
  buffer.open(QIODevice::WriteOnly);
  if (!write_svg(*chart, buffer)) throw std::runtime_error("cannot draw the chart of " + metric);
  QByteArray svg = buffer.data();
  const auto start = svg.indexOf("<svg");
  if (start < 0) throw std::runtime_error("the chart of " + metric + " produced no SVG");
  return svg.mid(start);
}

}  // namespace orrery::panels
