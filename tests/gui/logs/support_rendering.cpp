#include "support_rendering.hpp"

#include <QDir>
#include <QImage>
#include <QSet>
#include <QWidget>

QString render_and_keep(QWidget& widget, const QString& file_name) {
  const QImage image = widget.grab().toImage();
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 4)
    for (int x = 0; x < image.width(); x += 4) colours.insert(image.pixel(x, y));
  if (colours.size() <= 8) return QStringLiteral("the rendered view is blank");
  const QString dir = qEnvironmentVariable("ORRERY_TEST_ARTIFACTS", QDir::tempPath());
  QDir().mkpath(dir);
  const QString path = dir + QLatin1Char('/') + file_name;
  return image.save(path) ? QString() : QStringLiteral("cannot save ") + path;
}
