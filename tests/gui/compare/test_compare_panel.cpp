// The comparison panel on real run files (run.json + run.h5 written by the project's
// writers, one run.h5 damaged): loading off the UI thread, the differing-parameters
// table, summaries, sorting, the checklist, and the two charts rendered to an image whose
// pixels are checked where the data puts each run (positions worked out here from the
// values, not asked of the widgets), the overlay hand-off and cancelling a load.
#include "run_testing.hpp"

#include "compare/compare_panel.hpp"
#include "compare/compare_table_model.hpp"
#include "compare/parallel_coordinates_view.hpp"
#include "compare/scatter_view.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolTip>
#include <QtTest>

#include <filesystem>

using orrery::panels::CompareTableModel;
using orrery::panels::ComparePanel;
using orrery::panels::ComparePlot;
using orrery::panels::ScatterView;

namespace {

struct Fixture {
  QTemporaryDir dir;
  orrery::runfiles::Project project = orrery::runfiles::open_project(dir.path().toStdString(), true);
  QStringList ids;   // A, B, C (readable), D (run.h5 damaged)
};

// loss(rank, step) = c + rank + 0.1 (step - 5)^2 on 2 ranks, steps 0..10: the run's curve is
// c + 0.5 + 0.1 (step - 5)^2, so final = c + 3, min = c + 0.5 (step 5), at step 2 = c + 1.4.
std::string writeRun(const orrery::runfiles::Project& project, const std::string& name, double c, double lr,
                     const std::string& opt) {
  orrery::testing::FinishedRun run;
  run.name = name;
  run.ranks = 2;
  run.points = 11;
  run.metrics = {"loss", "accuracy"};
  run.spec = {{"kind", "command"}, {"name", name}, {"ranks", 2},
              {"params", {{"lr", lr}, {"opt", opt}, {"seed", 1}}}};
  run.value = [c](int rank, int step) { return c + rank + 0.1 * (step - 5) * (step - 5); };
  return orrery::testing::write_finished_run(project, run);
}

double curve(double c, int step) { return ((c + 0.1 * (step - 5) * (step - 5)) + (c + 1 + 0.1 * (step - 5) * (step - 5))) / 2; }

void writeRuns(Fixture& f) {
  f.ids << QString::fromStdString(writeRun(f.project, "A", 1.0, 0.1, "sgd"))
        << QString::fromStdString(writeRun(f.project, "B", 2.0, 0.2, "adam"))
        << QString::fromStdString(writeRun(f.project, "C", 0.5, 0.4, "sgd"))
        << QString::fromStdString(writeRun(f.project, "D", 0.0, 0.3, "adam"));
  const auto damaged = orrery::runfiles::run_path(f.project, f.ids[3].toStdString()) / "run.h5";
  std::filesystem::resize_file(damaged, std::filesystem::file_size(damaged) / 3);
}

QStringList headers(const CompareTableModel* m) {
  QStringList out;
  for (int c = 0; c < m->columnCount(); ++c) out << m->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
  return out;
}

QStringList columnText(const CompareTableModel* m, int column) {
  QStringList out;
  for (int r = 0; r < m->rowCount(); ++r) out << m->index(r, column).data().toString();
  return out;
}

int rowOf(const CompareTableModel* m, const QString& name) {
  for (int r = 0; r < m->rowCount(); ++r)
    if (m->index(r, CompareTableModel::RunColumn).data().toString() == name) return r;
  return -1;
}

double cell(const CompareTableModel* m, const QString& run, int column) {
  return m->index(rowOf(m, run), column).data(CompareTableModel::ValueRole).toDouble();
}

bool near(const QColor& a, const QColor& b, int tolerance = 40) {
  return std::abs(a.red() - b.red()) <= tolerance && std::abs(a.green() - b.green()) <= tolerance &&
         std::abs(a.blue() - b.blue()) <= tolerance;
}

QImage render(QWidget* w) {
  QImage image(w->size(), QImage::Format_ARGB32);
  image.fill(Qt::white);
  w->render(&image);
  return image;
}

// Loads the runs into the panel and waits for the views to show them.
bool load(ComparePanel& panel, const QStringList& ids) {
  QSignalSpy loaded(&panel, &ComparePanel::runsLoaded);
  panel.compareRuns(ids);
  return panel.loading() && loaded.wait(20000) && !panel.loading();
}

// Shows the panel with these runs loaded and the charts on the final loss.
bool showFinalLoss(ComparePanel& panel, const QStringList& ids) {
  panel.resize(1000, 800);
  panel.show();
  if (!load(panel, ids)) return false;
  panel.metricBox()->setCurrentText("loss");
  panel.chartSummaryBox()->setCurrentIndex(0);   // final
  return true;
}

QColor pixel(const QImage& image, QPointF p) { return image.pixelColor(static_cast<int>(p.x()), static_cast<int>(p.y())); }

// Position t (0 bottom .. 1 top) on a vertical axis at x of the plot area r.
QPointF onAxis(const QRectF& r, double x, double t) { return {x, r.bottom() - t * r.height()}; }

}  // namespace

class ComparePanelTest : public QObject {
  Q_OBJECT

 private slots:
  void tableShowsDifferingParametersAndSummaries() {
    Fixture f;
    writeRuns(f);
    ComparePanel panel(f.project);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(load(panel, f.ids));
    QVERIFY(!panel.progressBar()->isVisible());
    QCOMPARE(panel.runs().size(), std::size_t{4});
    QVERIFY(panel.messageLabel()->text().contains("1 unreadable"));

    auto* m = panel.model();
    QCOMPARE(m->rowCount(), 4);
    // Only lr and opt differ (kind, ranks, seed are equal in every run).
    QCOMPARE(headers(m).mid(0, 4), (QStringList{"Run", "Status", "params.lr", "params.opt"}));
    QCOMPARE(m->paramColumn("params.seed"), -1);
    panel.allParametersBox()->setChecked(true);
    QVERIFY(m->paramColumn("params.seed") >= 0);
    QVERIFY(m->paramColumn("kind") >= 0);
    panel.allParametersBox()->setChecked(false);
    QCOMPARE(m->paramColumn("params.seed"), -1);

    // The damaged run shows its error and no values, the others still compare.
    const int d = rowOf(m, "D");
    QVERIFY(m->index(d, CompareTableModel::StatusColumn).data().toString().startsWith("run.h5:"));
    QCOMPARE(m->index(d, m->paramColumn("params.lr")).data(CompareTableModel::ValueRole).toDouble(), 0.3);
    QVERIFY(!m->index(d, m->finalColumn()).data(CompareTableModel::ValueRole).isValid());
    QCOMPARE(m->index(rowOf(m, "A"), CompareTableModel::StatusColumn).data().toString(), QString("succeeded"));

    panel.metricBox()->setCurrentText("loss");
    panel.stepBox()->setValue(2);
    for (const auto& [run, c] : {std::pair{"A", 1.0}, {"B", 2.0}, {"C", 0.5}}) {
      QCOMPARE(cell(m, run, m->finalColumn()), curve(c, 10));
      QCOMPARE(cell(m, run, m->bestColumn()), curve(c, 5));     // loss: best is the minimum
      QCOMPARE(cell(m, run, m->atStepColumn()), curve(c, 2));
    }
    QCOMPARE(headers(m).mid(m->finalColumn()), (QStringList{"loss final", "loss best (min)", "loss @ step 2"}));
    panel.stepBox()->setValue(0);   // step 0: the first step every run logged
    QCOMPARE(cell(m, "B", m->atStepColumn()), curve(2.0, 0));
    panel.metricBox()->setCurrentText("accuracy");   // higher is better: best is the maximum
    QCOMPARE(cell(m, "A", m->bestColumn()), curve(1.0, 0));
    panel.bestRuleBox()->setCurrentIndex(1);         // the user says: lower is better
    QCOMPARE(cell(m, "A", m->bestColumn()), curve(1.0, 5));
    QVERIFY(headers(m).contains("accuracy best (min)"));

    // Sorting by the header: numbers by value, the run without a value last either way.
    panel.metricBox()->setCurrentText("loss");
    panel.table()->sortByColumn(m->finalColumn(), Qt::AscendingOrder);
    QCOMPARE(columnText(m, 0), (QStringList{"C", "A", "B", "D"}));
    panel.table()->sortByColumn(m->finalColumn(), Qt::DescendingOrder);
    QCOMPARE(columnText(m, 0), (QStringList{"B", "A", "C", "D"}));
    panel.table()->sortByColumn(m->paramColumn("params.lr"), Qt::AscendingOrder);
    QCOMPARE(columnText(m, 0), (QStringList{"A", "B", "D", "C"}));
    panel.table()->sortByColumn(m->paramColumn("params.opt"), Qt::DescendingOrder);
    QCOMPARE(columnText(m, m->paramColumn("params.opt")), (QStringList{"sgd", "sgd", "adam", "adam"}));
    // A new metric keeps the chosen order.
    panel.table()->sortByColumn(m->finalColumn(), Qt::AscendingOrder);
    panel.stepBox()->setValue(3);
    QCOMPARE(columnText(m, 0), (QStringList{"C", "A", "B", "D"}));

    // The checklist leaves a run out of the table and the charts without reloading.
    panel.runList()->item(1)->setCheckState(Qt::Unchecked);   // B
    QCOMPARE(m->rowCount(), 3);
    QCOMPARE(rowOf(m, "B"), -1);
  }

  void chartsPutEachRunWhereItsValuesSay() {
    Fixture f;
    writeRuns(f);
    ComparePanel panel(f.project);
    QVERIFY(showFinalLoss(panel, f.ids));

    // Parallel coordinates: axes params.lr, params.opt, loss final.
    auto* pc = panel.parallelView();
    pc->resize(600, 400);
    QCOMPARE(pc->axisCount(), 3);
    const QImage image = render(pc);
    const QRectF r = pc->plotRect();
    const double x0 = r.left(), x1 = r.center().x(), x2 = r.right();
    // lr 0.1 .. 0.4: A 0, B 1/3, C 1, D 2/3. Final loss A 4, B 5, C 3.5: A 1/3, B 1, C 0 (colours too).
    const QColor a = ComparePlot::rampColour(1.0 / 3), b = ComparePlot::rampColour(1.0), c = ComparePlot::rampColour(0.0);
    const QColor grey = ComparePlot::rampColour(std::nullopt);
    QVERIFY(!near(a, b) && !near(b, c) && !near(a, c) && !near(grey, a));
    QVERIFY(near(pixel(image, onAxis(r, x0, 0.0)), a));
    QVERIFY(near(pixel(image, onAxis(r, x0, 1.0 / 3)), b));
    QVERIFY(near(pixel(image, onAxis(r, x0, 1.0)), c));
    QVERIFY(near(pixel(image, onAxis(r, x0, 2.0 / 3)), grey));   // D: parameters but no metric
    QVERIFY(near(pixel(image, onAxis(r, x2, 1.0 / 3)), a));
    QVERIFY(near(pixel(image, onAxis(r, x2, 1.0)), b));
    QVERIFY(near(pixel(image, onAxis(r, x2, 0.0)), c));
    // D has no point on the metric axis (2 px right of the axis line, inside where its dot would be).
    QVERIFY(!near(pixel(image, onAxis(r, x2 + 2, 2.0 / 3)), grey));
    QVERIFY(near(pixel(image, onAxis(r, x0 + 2, 2.0 / 3)), grey));   // ... but has one on lr's
    // opt is categorical, ordered adam (bottom), sgd (top): A and C on top, B and D at the bottom.
    const QColor top = pixel(image, onAxis(r, x1, 1.0)), bottom = pixel(image, onAxis(r, x1, 0.0));
    QVERIFY(near(top, a) || near(top, c));
    QVERIFY(near(bottom, b) || near(bottom, grey));
    // The line of C from lr (top) to opt (top) runs along the top edge; half way it is C's colour.
    QVERIFY(near(pixel(image, onAxis(r, (x0 + x1) / 2, 1.0)), c));
    // Nothing at mid-height between the first two axes where no run's line passes.
    QVERIFY(near(pixel(image, onAxis(r, x0 + (x1 - x0) * 0.1, 0.5)), pc->palette().color(QPalette::Base)));

    // Scatter: params.lr against loss final.
    panel.scatterParameterBox()->setCurrentText("params.lr");
    panel.scatterMetricBox()->setCurrentText("loss");
    auto* sc = panel.scatterView();
    sc->resize(500, 400);
    QImage s = render(sc);
    QRectF sr = sc->plotRect();
    const auto at = [&sr](double tx, double ty) { return QPointF(sr.left() + tx * sr.width(), sr.bottom() - ty * sr.height()); };
    QVERIFY(near(pixel(s, at(0.0, 1.0 / 3)), a));
    QVERIFY(near(pixel(s, at(1.0 / 3, 1.0)), b));
    QVERIFY(near(pixel(s, at(1.0, 0.0)), c));
    QVERIFY(near(pixel(s, at(2.0 / 3, 0.5)), sc->palette().color(QPalette::Base)));   // D: an lr, no loss
    // A categorical x: adam at the left, sgd at the right.
    panel.scatterParameterBox()->setCurrentText("params.opt");
    s = render(sc);
    sr = sc->plotRect();
    QVERIFY(near(pixel(s, at(1.0, 1.0 / 3)), a));
    QVERIFY(near(pixel(s, at(0.0, 1.0)), b));
    QVERIFY(near(pixel(s, at(1.0, 0.0)), c));
    // At step 2 the order of the runs is the same but the axis says so.
    panel.chartSummaryBox()->setCurrentIndex(2);
    panel.stepBox()->setValue(2);
    QCOMPARE(sc->yAxis().title, QString("loss @ step 2"));
    QCOMPARE(sc->yAxis().scale.min(), curve(0.5, 2));
    QCOMPARE(sc->yAxis().scale.max(), curve(2.0, 2));
  }

  void hoverNamesTheRunAndItsValues() {
    Fixture f;
    writeRuns(f);
    ComparePanel panel(f.project);
    QVERIFY(showFinalLoss(panel, f.ids));
    panel.scatterParameterBox()->setCurrentText("params.lr");
    panel.scatterMetricBox()->setCurrentText("loss");
    panel.chartTabs()->setCurrentWidget(panel.scatterView()->parentWidget());   // the scatter page
    auto* sc = panel.scatterView();
    QTRY_VERIFY(sc->isVisible() && sc->plotRect().width() > 200 && sc->plotRect().height() > 100);   // laid out

    // Scatter: each disc answers for its run, nothing answers far from every disc.
    for (int run = 0; run < 3; ++run) {
      const auto c = sc->pointOf(run);
      QVERIFY(c);
      QCOMPARE(sc->runAt(*c + QPointF(2, -2)), run);
    }
    QVERIFY(!sc->pointOf(3));                                   // D: an lr but no loss
    QCOMPARE(sc->runAt(sc->plotRect().center() + QPointF(1, 37)), -1);

    // Hovering B rings it; its tooltip names it with its lr and final loss (c + 3 = 5, the highest).
    const QPointF b = *sc->pointOf(1);
    QTest::mouseMove(sc, b.toPoint());
    QTRY_COMPARE(sc->hoveredRun(), 1);
    const QImage ringed = render(sc);
    QVERIFY(near(pixel(ringed, b + QPointF(ScatterView::kRadius + 2, 0)), sc->palette().color(QPalette::Text), 60));
    QHelpEvent help(QEvent::ToolTip, b.toPoint(), sc->mapToGlobal(b.toPoint()));
    QApplication::sendEvent(sc, &help);
    QTRY_VERIFY(QToolTip::isVisible());
    const QString tip = QToolTip::text();
    QVERIFY2(tip.contains("<b>B</b>") && tip.contains("params.lr: 0.2") && tip.contains("loss final: " + QString::number(sc->yAxis().scale.max(), 'g', 6)),
             qPrintable(tip));
    QTest::mouseMove(sc, (sc->plotRect().center() + QPointF(1, 37)).toPoint());
    QTRY_COMPARE(sc->hoveredRun(), -1);

    // Parallel coordinates: a point on C's line half way between its first two vertices is C;
    // D, without a loss, still answers on its parameter axes; its tooltip says it has none.
    auto* pc = panel.parallelView();
    panel.chartTabs()->setCurrentWidget(pc);
    QTRY_VERIFY(pc->isVisible() && pc->plotRect().width() > 200 && pc->plotRect().height() > 100);
    const auto c0 = pc->vertex(2, 0), c1 = pc->vertex(2, 1);
    QVERIFY(c0 && c1);
    QCOMPARE(pc->runAt((*c0 + *c1) / 2 + QPointF(0, 2)), 2);
    const auto d0 = pc->vertex(3, 0);
    QVERIFY(d0 && !pc->vertex(3, pc->axisCount() - 1));
    QCOMPARE(pc->runAt(*d0), 3);
    const QString dTip = pc->toolTipFor(3);
    QVERIFY2(dTip.contains("<b>D</b>") && dTip.contains("loss final: (none)"), qPrintable(dTip));
  }

  void overlayHandsTheCheckedReadableRuns() {
    Fixture f;
    writeRuns(f);
    ComparePanel panel(f.project);
    QSignalSpy asked(&panel, &ComparePanel::compareSelectedRequested);
    panel.compareSelectedButton()->click();
    QCOMPARE(asked.count(), 1);
    QVERIFY(load(panel, f.ids));
    panel.runList()->item(0)->setCheckState(Qt::Unchecked);   // A out
    QSignalSpy overlay(&panel, &ComparePanel::overlayRequested);
    panel.overlayButton()->click();
    QCOMPARE(overlay.count(), 1);
    QCOMPARE(overlay.front().at(0).toStringList(), (QStringList{f.ids[1], f.ids[2]}));   // D has no curves
    QCOMPARE(overlay.front().at(1).toStringList(), (QStringList{"B", "C"}));
  }

  void cancelStopsTheLoadAndNamesWhatWasLeft() {
    Fixture f;
    QStringList ids;
    for (int i = 0; i < 40; ++i) {
      orrery::testing::FinishedRun run;
      run.name = "r" + std::to_string(i);
      run.ranks = 1;
      run.points = 5;
      run.spec = {{"params", {{"i", i}}}};
      run.value = [i](int, int step) { return i + step; };
      ids << QString::fromStdString(orrery::testing::write_finished_run(f.project, run));
    }
    ComparePanel panel(f.project);
    QSignalSpy loaded(&panel, &ComparePanel::runsLoaded);
    panel.compareRuns(ids);
    QVERIFY(panel.cancelButton()->isEnabled());
    panel.cancelLoading();
    QVERIFY(loaded.wait(20000));
    QVERIFY(!panel.cancelButton()->isEnabled());
    QCOMPARE(panel.runs().size(), std::size_t{40});
    int cancelled = 0;
    for (const auto& run : panel.runs()) {
      if (run.error == "cancelled") ++cancelled;
      else QVERIFY2(run.loaded() && run.metrics.at("loss").steps.size() == 5, run.error.c_str());
    }
    QVERIFY(cancelled > 0);
    QVERIFY(panel.messageLabel()->text().contains("cancelled"));
    // The same runs load in full when asked again.
    QVERIFY(load(panel, ids));
    for (const auto& run : panel.runs()) QVERIFY2(run.loaded(), run.error.c_str());
    QCOMPARE(panel.model()->rowCount(), 40);
  }
};

QTEST_MAIN(ComparePanelTest)
#include "test_compare_panel.moc"
