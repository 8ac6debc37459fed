// Export of one chart: the picture as PNG, SVG or PDF (rendered from the chart view as
// it is drawn, at the view's size), and the data of its visible series as CSV.
#pragma once

#include <QRectF>
#include <QString>

class QChartView;
class QIODevice;
class QPainter;

namespace orrery::panels {

class MetricChart;

bool export_png(QChartView& view, const QString& path, QString* error = nullptr);
bool export_svg(QChartView& view, const QString& path, QString* error = nullptr);
bool export_pdf(QChartView& view, const QString& path, QString* error = nullptr);

// The chart as SVG into a device (a report inlines it); false when it cannot be written.
bool write_svg(QChartView& view, QIODevice& device);
// Draws the chart as vectors into target of a painter that is already active (a report's PDF page).
void render_chart(QChartView& view, QPainter& painter, const QRectF& target);

// The raw points behind the chart, not the decimated ones: every point of every rank
// of each visible run whose x lies in the visible x range, in arrival order, one row
// each under the header run,rank,step,time,value (time: seconds since the epoch).
// Returns the number of data rows through rows when not null.
bool export_csv(const MetricChart& chart, const QString& path, QString* error = nullptr, long long* rows = nullptr);

// By the path's suffix: .png, .svg, .pdf or .csv.
bool export_chart(MetricChart& chart, const QString& path, QString* error = nullptr);

}  // namespace orrery::panels
