// Export of a chart: PNG (loads, not blank), SVG (parses), PDF (%PDF), CSV (one row
// per raw point of the visible runs inside the visible x range), and the menu that
// offers them.
#include "charts/chart_export.hpp"
#include "charts/metric_chart.hpp"
#include "support_store.hpp"

#include <QFile>
#include <QImage>
#include <QLineSeries>
#include <QMenu>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

#include <cmath>
#include <set>

using namespace orrery;
using orrery::panels::LineRole;
using orrery::panels::MetricChart;

namespace {

std::set<QRgb> colours(const QImage& image) {
  std::set<QRgb> seen;
  for (int y = 0; y < image.height(); y += 3) {
    for (int x = 0; x < image.width(); x += 3) seen.insert(image.pixel(x, y));
  }
  return seen;
}

QByteArray head(const QString& path, int n) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.read(n) : QByteArray();
}

}  // namespace

class TestChartExport : public QObject {
  Q_OBJECT

 private:
  std::shared_ptr<series::SeriesStore> store_ = std::make_shared<series::SeriesStore>();
  std::unique_ptr<MetricChart> chart_;
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    for (int rank = 0; rank < 2; ++rank) {
      test::append_points(*store_, "run-a", "loss", rank, 0, 5000,
                          [rank](auto s) { return std::exp(-s / 1000.0) + 0.1 * rank + (s % 777 == 0 ? 3 : 0); });
    }
    test::append_points(*store_, "run-b", "loss", 0, 0, 3000, [](auto s) { return 0.5 + std::sin(s / 100.0) * 0.1; });
    chart_ = std::make_unique<MetricChart>(store_, "loss");
    chart_->resize(900, 560);
    chart_->show();
    chart_->setRuns({{"run-a", "A"}, {"run-b", "B"}});
    chart_->updateNow();
    QVERIFY(chart_->linePoints({0, -1, LineRole::Main}).size() > 100);
    QVERIFY(chart_->hasBand(0));
  }

  void png() {
    const QString path = dir_.filePath("loss.png");
    QString error;
    QVERIFY2(panels::export_png(*chart_, path, &error), qPrintable(error));
    QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), chart_->viewport()->size());
    QVERIFY2(colours(image).size() > 10, "the picture is (nearly) one colour");
    // The line colour of run A is somewhere in the picture.
    const QColor line = chart_->line({0, -1, LineRole::Main})->pen().color();
    bool found = false;
    for (QRgb c : colours(image)) {
      found = found || (std::abs(qRed(c) - line.red()) < 30 && std::abs(qGreen(c) - line.green()) < 30 &&
                        std::abs(qBlue(c) - line.blue()) < 30);
    }
    QVERIFY2(found, "run A's line is not in the PNG");
  }

  void svg() {
    const QString path = dir_.filePath("loss.svg");
    QString error;
    QVERIFY2(panels::export_svg(*chart_, path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QXmlStreamReader xml(&f);
    int polylines = 0;
    while (!xml.atEnd()) {
      xml.readNext();
      if (xml.isStartElement() && (xml.name() == QLatin1String("polyline") || xml.name() == QLatin1String("path"))) {
        ++polylines;
      }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(polylines > 0);
    QSvgRenderer renderer(path);
    QVERIFY(renderer.isValid());
    QVERIFY(head(path, 4096).contains("loss"));  // the title
  }

  void pdf() {
    const QString path = dir_.filePath("loss.pdf");
    QString error;
    QVERIFY2(panels::export_pdf(*chart_, path, &error), qPrintable(error));
    QVERIFY(head(path, 5) == "%PDF-");
    QVERIFY(QFileInfo(path).size() > 1000);
  }

  void csvHoldsTheRawPointsOfTheVisibleRange() {
    chart_->setXRange(1000, 1999);
    const QString path = dir_.filePath("loss.csv");
    long long rows = 0;
    QString error;
    QVERIFY2(panels::export_csv(*chart_, path, &error, &rows), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.front(), QString("run,rank,step,time,value"));
    QCOMPARE(rows, 1000LL * 3);  // run A's two ranks and run B, steps 1000..1999
    QCOMPARE(lines.size(), 1 + 3000);
    QVERIFY(lines.contains(QString("run-a,1,1554,%1,%2")
                               .arg(QString::number(1.7e9 + 155.4, 'f', 6))
                               .arg(QString::number(std::exp(-1.554) + 0.1 * 1 + 3, 'g', 17))));

    // A run hidden from the legend is left out.
    chart_->setRunVisible(1, -1, false);
    QVERIFY(panels::export_csv(*chart_, path, &error, &rows));
    QCOMPARE(rows, 2000LL);
    chart_->setRunVisible(1, -1, true);
    chart_->resetView();
  }

  void exportByNameAndTheContextMenu() {
    QString error;
    QVERIFY(!panels::export_chart(*chart_, dir_.filePath("loss.gif"), &error));
    QVERIFY(error.contains("gif"));
    QVERIFY(!panels::export_chart(*chart_, dir_.filePath("no/such/folder/loss.png"), &error));
    std::unique_ptr<QMenu> menu(chart_->createContextMenu(nullptr));
    QStringList texts;
    for (QAction* a : menu->actions()) texts << a->text();
    for (const char* format : {"PNG", "SVG", "PDF", "CSV"}) {
      QVERIFY2(texts.contains(QString("Export %1…").arg(format)), format);
    }
  }
};

QTEST_MAIN(TestChartExport)
#include "test_chart_export.moc"
