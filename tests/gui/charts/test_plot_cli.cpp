// `orrery export RUN --plot METRIC --png/--svg/--pdf FILE` on a real run.h5 (written
// by core's RunH5Writer, as the agent writes it), run as a child process with no
// display and no QT_QPA_PLATFORM: the CLI must choose offscreen rendering itself.
#include "runfiles/project.hpp"
#include "run_testing.hpp"

#include <QFile>
#include <QImage>
#include <QProcess>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <set>
#include <vector>

using namespace orrery;

class TestPlotCli : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  QString project_;
  QString run_id_;
  QString rival_id_;

  // Runs the orrery CLI; returns its exit code, output in *out.
  int orrery(const QStringList& args, QString* out) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) env.remove(name);
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(qEnvironmentVariable("ORRERY_BIN_DIR") + "/orrery", QStringList{"--project", project_} + args);
    if (!p.waitForFinished(120000)) return -1;
    *out = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY(!qEnvironmentVariable("ORRERY_BIN_DIR").isEmpty());
    project_ = dir_.filePath("project");
    auto project = runfiles::open_project(project_.toStdString(), true);
    testing::FinishedRun run;
    run.name = "plotted";
    run.points = 20000;
    run.seconds_per_step = 0.005;
    run.metrics = {"loss", "train/tokens_per_s"};
    run.value = [](int rank, int s) { return 2.0 * std::exp(-s / 4000.0) + 0.05 * rank + (s == 12345 ? 5 : 0); };
    run_id_ = QString::fromStdString(testing::write_finished_run(project, run));
    run.name = "rival";
    run.metrics = {"loss"};
    run.value = [](int, int s) { return 1.0 + 0.5 * std::cos(s / 3000.0); };
    rival_id_ = QString::fromStdString(testing::write_finished_run(project, run));
  }

  void pngSvgPdfAtOnce() {
    const QString png = dir_.filePath("loss.png"), svg = dir_.filePath("loss.svg"), pdf = dir_.filePath("loss.pdf");
    QString out;
    const int code = orrery({"export", run_id_, "--plot", "loss", "--png", png, "--svg", svg, "--pdf", pdf}, &out);
    QVERIFY2(code == 0, qPrintable(out));
    QVERIFY(out.contains("wrote " + png));

    QImage image(png);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), QSize(1200, 700));
    std::set<QRgb> colours;
    for (int y = 0; y < image.height(); y += 2) {
      for (int x = 0; x < image.width(); x += 2) colours.insert(image.pixel(x, y));
    }
    QVERIFY2(colours.size() > 10, "the PNG is blank");

    QSvgRenderer renderer(svg);
    QVERIFY(renderer.isValid());
    QFile f(pdf);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.read(5), QByteArray("%PDF-"));
  }

  void otherAxisAndOptions() {
    const QString png = dir_.filePath("tokens.png");
    QString out;
    const int code = orrery({"export", "plotted", "--plot", "train/tokens_per_s", "--png", png, "--x", "relative",
                             "--log-y", "--per-rank", "--smoothing", "0.9"},
                            &out);
    QVERIFY2(code == 0, qPrintable(out));
    QVERIFY(!QImage(png).isNull());
  }

  void severalRunsShareOneChart() {
    const QString svg = dir_.filePath("both.svg"), png = dir_.filePath("both.png");
    QString out;
    const int code = orrery({"export", "plotted", "rival", "--plot", "loss", "--svg", svg, "--png", png}, &out);
    QVERIFY2(code == 0, qPrintable(out));
    QFile f(svg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    // One legend entry per run, by run name.
    QVERIFY2(text.contains(">plotted<") && text.contains(">rival<"), text.left(400).constData());

    // The rival run has no train/tokens_per_s: refused, naming it, nothing written.
    const QString partial = dir_.filePath("partial.png");
    QCOMPARE(orrery({"export", "plotted", "rival", "--plot", "train/tokens_per_s", "--png", partial}, &out), 1);
    QVERIFY2(out.contains("run " + rival_id_ + " has no metric 'train/tokens_per_s'"), qPrintable(out));
    QVERIFY(!QFile::exists(partial));
    // CSV export is per run.
    QCOMPARE(orrery({"export", "plotted", "rival", "--csv", dir_.filePath("csv")}, &out), 2);
  }

  void unknownMetricNamesTheKnownOnes() {
    QString out;
    const int code = orrery({"export", run_id_, "--plot", "nope", "--png", dir_.filePath("nope.png")}, &out);
    QCOMPARE(code, 1);
    QVERIFY2(out.contains("no metric 'nope'") && out.contains("loss") && out.contains("train/tokens_per_s"),
             qPrintable(out));
    QVERIFY(!QFile::exists(dir_.filePath("nope.png")));
  }

  void plotNeedsAPictureFile() {
    QString out;
    QCOMPARE(orrery({"export", run_id_, "--plot", "loss"}, &out), 2);
    QVERIFY2(out.contains("--png"), qPrintable(out));
    QCOMPARE(orrery({"export", run_id_, "--png", dir_.filePath("x.png")}, &out), 2);  // --png needs --plot
  }
};

QTEST_MAIN(TestPlotCli)
#include "test_plot_cli.moc"
