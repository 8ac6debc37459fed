#include "charts/chart_export.hpp"

#include "charts/metric_chart.hpp"

#include <QChartView>
#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <algorithm>
#include <limits>
#include <string>

namespace orrery::panels {

namespace {

bool fail(QString* error, const QString& message) {
  if (error) *error = message;
  return false;
}

}  // namespace

void render_chart(QChartView& view, QPainter& painter, const QRectF& target) {
  painter.setRenderHint(QPainter::Antialiasing);
  view.render(&painter, target, view.viewport()->rect());
}

bool write_svg(QChartView& view, QIODevice& device) {
  const QSize size = view.viewport()->size();
  QSvgGenerator svg;
  svg.setOutputDevice(&device);
  svg.setSize(size);
  svg.setViewBox(QRect(QPoint(0, 0), size));
  svg.setTitle(view.chart()->title());
  QPainter painter;
  if (!painter.begin(&svg)) return false;
  render_chart(view, painter, QRectF(QPointF(0, 0), QSizeF(size)));
  return painter.end();
}

bool export_png(QChartView& view, const QString& path, QString* error) {
  QImage image(view.viewport()->size(), QImage::Format_ARGB32);
  image.fill(Qt::white);
  {
    QPainter painter(&image);
    render_chart(view, painter, QRectF(image.rect()));
  }
  if (!image.save(path, "PNG")) return fail(error, QObject::tr("cannot write %1").arg(path));
  return true;
}

bool export_svg(QChartView& view, const QString& path, QString* error) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) return fail(error, QObject::tr("cannot write %1: %2").arg(path, file.errorString()));
  if (!write_svg(view, file) || !file.commit()) return fail(error, QObject::tr("cannot write %1: %2").arg(path, file.errorString()));
  return true;
}

bool export_pdf(QChartView& view, const QString& path, QString* error) {
  const QSize size = view.viewport()->size();
  QPdfWriter pdf(path);
  pdf.setTitle(view.chart()->title());
  pdf.setCreator(QStringLiteral("Orrery"));
  pdf.setResolution(300);
  // One page the chart's size (a pixel is 3/4 of a point at 96 dpi), no margins: vector output.
  pdf.setPageSize(QPageSize(QSizeF(size.width() * 0.75, size.height() * 0.75), QPageSize::Point));
  pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
  QPainter painter;
  if (!painter.begin(&pdf)) return fail(error, QObject::tr("cannot write %1").arg(path));
  render_chart(view, painter, QRectF(0, 0, pdf.width(), pdf.height()));
  painter.end();
  if (QFileInfo(path).size() <= 0) return fail(error, QObject::tr("cannot write %1").arg(path));
  return true;
}

bool export_csv(const MetricChart& chart, const QString& path, QString* error, long long* rows) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) return fail(error, file.errorString());
  file.write("run,rank,step,time,value\n");
  const auto [x_lo, x_hi] = chart.xRange();
  const XAxisKind axis = chart.options().x_axis;
  const std::string metric = chart.metric().toStdString();
  long long written = 0;
  std::string line;
  for (std::size_t r = 0; r < chart.runs().size(); ++r) {
    const std::string& run_id = chart.runs()[r].run_id;
    std::vector<std::pair<int, std::shared_ptr<series::Series>>> ranks;
    for (const auto& key : chart.store()->keys_of_run(run_id)) {
      if (key.group == "metrics" && key.name == metric) ranks.emplace_back(key.rank, chart.store()->find(key));
    }
    // The same origin as the chart's relative time: the run's first wall time.
    double origin = std::numeric_limits<double>::infinity();
    for (auto& [rank, s] : ranks) {
      s->read([&](const series::Columns& c) {
        for (double t : c.times) origin = std::min(origin, t);
      });
    }
    for (auto& [rank, s] : ranks) {
      if (!s || !chart.isLineShown(static_cast<int>(r), chart.options().per_rank ? rank : -1)) continue;
      s->read([&](const series::Columns& c) {
        for (std::size_t i = 0; i < c.values.size(); ++i) {
          const double x = axis == XAxisKind::Step       ? static_cast<double>(c.steps[i])
                           : axis == XAxisKind::WallTime ? c.times[i] * 1000.0
                                                         : c.times[i] - origin;
          if (x < x_lo || x > x_hi) continue;
          line = run_id + ',' + std::to_string(rank) + ',' + std::to_string(c.steps[i]) + ',' +
                 QString::number(c.times[i], 'f', 6).toStdString() + ',' +
                 QString::number(c.values[i], 'g', 17).toStdString() + '\n';
          file.write(line.data(), static_cast<qint64>(line.size()));
          ++written;
        }
      });
    }
  }
  if (!file.commit()) return fail(error, file.errorString());
  if (rows) *rows = written;
  return true;
}

bool export_chart(MetricChart& chart, const QString& path, QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QLatin1String("png")) return export_png(chart, path, error);
  if (suffix == QLatin1String("svg")) return export_svg(chart, path, error);
  if (suffix == QLatin1String("pdf")) return export_pdf(chart, path, error);
  if (suffix == QLatin1String("csv")) return export_csv(chart, path, error);
  return fail(error, QObject::tr("unknown export format '%1' (png, svg, pdf or csv)").arg(suffix));
}

}  // namespace orrery::panels
