// The charts of a report: one per metric that every run shares, the runs overlaid,
// drawn by the workbench's own chart offscreen (the HTML inlines it as SVG, the PDF
// draws it as vectors). Needs a QApplication.
#pragma once

#include "charts/report_content.hpp"

#include <QByteArray>
#include <QSize>

#include <memory>
#include <string>

namespace orrery::panels {

class MetricChart;

std::unique_ptr<MetricChart> report_chart(const ReportContent& content, const std::string& metric, QSize size);

// The chart as an <svg> element to inline in HTML (no XML declaration before it).
QByteArray report_chart_svg(const ReportContent& content, const std::string& metric);

}  // namespace orrery::panels
