#include "common/status_style.hpp"

#include <QPainter>
#include <QPixmap>

namespace orrery::panels {

using runfiles::RunStatus;

QColor status_color(RunStatus status) {
  switch (status) {
    case RunStatus::Starting: return QColor(0x8e, 0x8e, 0x93);
    case RunStatus::Running: return QColor(0x1f, 0x77, 0xb4);
    case RunStatus::Succeeded: return QColor(0x2c, 0xa0, 0x2c);
    case RunStatus::Failed: return QColor(0xd6, 0x27, 0x28);
    case RunStatus::Cancelled: return QColor(0xff, 0x7f, 0x0e);
    case RunStatus::Lost: return QColor(0x94, 0x67, 0xbd);
  }
  return Qt::gray;
}

// Drawn rather than shipped as files: a filled disc for final states, a ring for live ones,
// so the two read apart even without colour.
QIcon status_icon(RunStatus status) {
  QPixmap pixmap(16, 16);
  pixmap.fill(Qt::transparent);
  QPainter painter(&pixmap);
  painter.setRenderHint(QPainter::Antialiasing);
  const QColor color = status_color(status);
  if (runfiles::is_final(status)) {
    painter.setPen(Qt::NoPen);
    painter.setBrush(color);
    painter.drawEllipse(QRectF(2, 2, 12, 12));
  } else {
    painter.setPen(QPen(color, 2.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawEllipse(QRectF(3, 3, 10, 10));
  }
  return QIcon(pixmap);
}

QString status_text(RunStatus status) { return QString::fromStdString(runfiles::to_string(status)); }

}  // namespace orrery::panels
