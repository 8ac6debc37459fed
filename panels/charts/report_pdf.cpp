#include "charts/report_pdf.hpp"

#include "charts/chart_export.hpp"
#include "charts/metric_chart.hpp"
#include "charts/report_charts.hpp"
#include "charts/report_html.hpp"

#include <QAbstractTextDocumentLayout>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTextDocument>

#include <algorithm>
#include <stdexcept>

namespace orrery::panels {

void write_report_pdf(const ReportContent& content, QIODevice& device) {
  QPdfWriter pdf(&device);
  pdf.setTitle(QStringLiteral("Orrery report"));
  pdf.setCreator(QStringLiteral("Orrery"));
  pdf.setPageSize(QPageSize(QPageSize::A4));
  pdf.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
  // Device units of a screen pixel: text and charts are laid out as on screen and scale as
  // vectors; the resolution only fixes the unit, not the output's sharpness.
  pdf.setResolution(96);
  const QSizeF page(pdf.width(), pdf.height());

  QTextDocument text;
  text.documentLayout()->setPaintDevice(&pdf);
  text.setHtml(report_text_html(content));
  text.setPageSize(page);

  QPainter painter;
  if (!painter.begin(&pdf)) throw std::runtime_error("cannot start the PDF");
  for (int p = 0; p < text.pageCount(); ++p) {
    if (p > 0) pdf.newPage();
    painter.save();
    painter.translate(0, -p * page.height());
    text.drawContents(&painter, QRectF(0, p * page.height(), page.width(), page.height()));
    painter.restore();
  }

  // Two charts a page, each with its metric's name above it, at the aspect of the HTML's.
  const double heading = 28;
  const double chart_height = std::min(page.width() * 9.0 / 16.0, page.height() / 2.0 - heading);
  QFont heading_font = painter.font();
  heading_font.setPointSizeF(13);
  heading_font.setBold(true);
  for (std::size_t i = 0; i < content.shared_metrics.size(); ++i) {
    if (i % 2 == 0) pdf.newPage();
    const double top = (i % 2) * (page.height() / 2.0);
    const auto& metric = content.shared_metrics[i];
    painter.setFont(heading_font);
    painter.setPen(Qt::black);
    painter.drawText(QRectF(0, top, page.width(), heading), Qt::AlignLeft | Qt::AlignVCenter, QString::fromStdString(metric));
    // Drawn at the size it fills on the page, so its labels keep their point size.
    auto chart = report_chart(content, metric, QSize(static_cast<int>(page.width()), static_cast<int>(chart_height)));
    render_chart(*chart, painter, QRectF(0, top + heading, page.width(), chart_height));
  }
  if (!painter.end()) throw std::runtime_error("cannot finish the PDF");
}

}  // namespace orrery::panels
