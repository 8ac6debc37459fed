// A 2-D slice of a tensor as a heatmap: the browser samples the slice on a grid of at
// most kMaxSide x kMaxSide values off the UI thread (heatmap_image), and this widget
// only paints the finished image, scaled to its size.
#pragma once

#include <QImage>
#include <QWidget>

#include <vector>

namespace orrery::panels {

// Values (rows x cols, row-major) coloured: a diverging blue-white-red scale centred
// on 0 when they take both signs, else dark-to-bright over [min, max]; NaN/Inf magenta.
QImage heatmap_image(const std::vector<double>& values, int rows, int cols);

class HeatmapView : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kMaxSide = 512;
  explicit HeatmapView(QWidget* parent = nullptr);
  void setImage(const QImage& image, const QString& caption);
  const QImage& image() const { return image_; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QImage image_;
  QString caption_;
};

}  // namespace orrery::panels
