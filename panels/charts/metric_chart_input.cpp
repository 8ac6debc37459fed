// MetricChart's mouse and menu: rubber band (QChartView's), wheel zoom around the
// pointer, pan by middle- or Shift-drag, double-click reset, the crosshair, and the
// export menu. Every view change goes through the x axis' rangeChanged, so it ends in
// MetricChart::onUserRangeChange and a new reduction.
#include "charts/chart_export.hpp"
#include "charts/crosshair.hpp"
#include "charts/metric_chart.hpp"

#include <QContextMenuEvent>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QMouseEvent>
#include <QWheelEvent>

namespace orrery::panels {

void MetricChart::resizeEvent(QResizeEvent* event) {
  QChartView::resizeEvent(event);
  ++view_serial_;  // another pixel width: another decimation
  requestUpdate();
}

void MetricChart::wheelEvent(QWheelEvent* event) {
  const QRectF area = chart()->plotArea();
  const QPointF p = chart()->mapFromScene(mapToScene(event->position().toPoint()));
  if (!area.contains(p) || event->angleDelta().y() == 0) return QChartView::wheelEvent(event);
  const double f = event->angleDelta().y() > 0 ? 0.8 : 1.25;
  QRectF r = area;
  r.setLeft(p.x() - (p.x() - area.left()) * f);
  r.setWidth(area.width() * f);
  if (!(event->modifiers() & Qt::ControlModifier)) {
    r.setTop(p.y() - (p.y() - area.top()) * f);
    r.setHeight(area.height() * f);
  }
  chart()->zoomIn(r);
  event->accept();
}

void MetricChart::mousePressEvent(QMouseEvent* event) {
  const bool pan = event->button() == Qt::MiddleButton ||
                   (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier));
  if (pan) {
    panning_ = true;
    pan_from_ = event->pos();
    event->accept();
    return;
  }
  if (event->button() == Qt::RightButton) return event->accept();  // the menu, not QChartView's zoom-out
  QChartView::mousePressEvent(event);
}

void MetricChart::mouseMoveEvent(QMouseEvent* event) {
  if (panning_) {
    const QPoint d = event->pos() - pan_from_;
    pan_from_ = event->pos();
    chart()->scroll(-d.x(), d.y());
  }
  crosshair_->moveTo(chart()->mapFromScene(mapToScene(event->pos())));
  QChartView::mouseMoveEvent(event);
}

void MetricChart::mouseReleaseEvent(QMouseEvent* event) {
  if (panning_ && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
    panning_ = false;
    return event->accept();
  }
  if (event->button() == Qt::RightButton) return event->accept();
  QChartView::mouseReleaseEvent(event);
}

void MetricChart::mouseDoubleClickEvent(QMouseEvent* event) {
  resetView();
  event->accept();
}

void MetricChart::leaveEvent(QEvent* event) {
  crosshair_->hide();
  QChartView::leaveEvent(event);
}

QMenu* MetricChart::createContextMenu(QWidget* parent) {
  auto* menu = new QMenu(parent);
  for (const QString& format : {QStringLiteral("PNG"), QStringLiteral("SVG"), QStringLiteral("PDF"), QStringLiteral("CSV")}) {
    menu->addAction(tr("Export %1…").arg(format), this, [this, format] { exportWithDialog(format); });
  }
  menu->addSeparator();
  menu->addAction(tr("Reset view"), this, &MetricChart::resetView);
  return menu;
}

void MetricChart::contextMenuEvent(QContextMenuEvent* event) {
  QMenu* menu = createContextMenu(this);
  menu->setAttribute(Qt::WA_DeleteOnClose);
  menu->popup(event->globalPos());
}

void MetricChart::exportWithDialog(const QString& format) {
  const QString suffix = format.toLower();
  QString name = metric_;
  name.replace('/', '_');
  const QString path = QFileDialog::getSaveFileName(this, tr("Export %1 as %2").arg(metric_, format),
                                                    name + '.' + suffix, tr("%1 files (*.%2)").arg(format, suffix));
  if (path.isEmpty()) return;
  crosshair_->hide();  // not part of the picture
  QString error;
  if (!export_chart(*this, path, &error)) QMessageBox::warning(this, tr("Export failed"), error);
}

}  // namespace orrery::panels
