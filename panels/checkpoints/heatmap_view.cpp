#include "checkpoints/heatmap_view.hpp"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace orrery::panels {

namespace {

QRgb mix(QColor a, QColor b, double t) {
  t = std::clamp(t, 0.0, 1.0);
  return qRgb(static_cast<int>(a.red() + (b.red() - a.red()) * t), static_cast<int>(a.green() + (b.green() - a.green()) * t),
              static_cast<int>(a.blue() + (b.blue() - a.blue()) * t));
}

}  // namespace

QImage heatmap_image(const std::vector<double>& values, int rows, int cols) {
  QImage image(std::max(cols, 1), std::max(rows, 1), QImage::Format_RGB32);
  image.fill(Qt::black);
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  const bool diverging = lo < 0 && hi > 0;
  const double span = diverging ? std::max(-lo, hi) : hi - lo;
  const QColor blue(0x21, 0x66, 0xac), white(0xf7, 0xf7, 0xf7), red(0xb2, 0x18, 0x2b);
  const QColor dark(0x0d, 0x08, 0x87), bright(0xf0, 0xf9, 0x21);
  for (int r = 0; r < rows; ++r) {
    auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
    for (int c = 0; c < cols; ++c) {
      const double v = values[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
      if (!std::isfinite(v)) {
        line[c] = qRgb(255, 0, 255);
      } else if (span <= 0) {
        line[c] = mix(dark, bright, 0.5);
      } else if (diverging) {
        line[c] = v < 0 ? mix(white, blue, -v / span) : mix(white, red, v / span);
      } else {
        line[c] = mix(dark, bright, (v - lo) / span);
      }
    }
  }
  return image;
}

HeatmapView::HeatmapView(QWidget* parent) : QWidget(parent) { setMinimumSize(160, 160); }

void HeatmapView::setImage(const QImage& image, const QString& caption) {
  image_ = image;
  caption_ = caption;
  update();
}

void HeatmapView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  const int text_h = fontMetrics().height() + 4;
  if (!image_.isNull()) {
    // Nearest-neighbour scaling: a value stays one flat cell, however large it is drawn.
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(rect().adjusted(0, 0, 0, -text_h), image_);
  }
  p.drawText(rect().adjusted(4, 0, -4, 0), Qt::AlignBottom | Qt::AlignLeft, caption_);
}

}  // namespace orrery::panels
