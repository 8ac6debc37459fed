// The workbench's "Export report…" engine: two runs written as the agent writes them,
// reported to HTML and PDF through ReportExporter with the event loop running; while the
// runs are read, the exporter refuses a second start; an unknown run fails with its name.
#include "charts/report_exporter.hpp"

#include "runfiles/project.hpp"
#include "run_testing.hpp"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <vector>

using namespace orrery;

class TestReportExporter : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::optional<runfiles::Project> project_;
  std::vector<std::string> ids_;

  void writeRun(const std::string& name, double lr) {
    testing::FinishedRun run;
    run.name = name;
    run.spec = {{"params", {{"lr", lr}, {"epochs", 3}}}};
    run.value = [lr](int rank, int s) { return 2.0 * std::exp(-s * lr) + 0.01 * rank; };
    ids_.push_back(testing::write_finished_run(*project_, run));
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    project_ = runfiles::open_project(dir_.filePath("project").toStdString(), true);
    writeRun("slow", 0.001);
    writeRun("fast", 0.01);
  }

  void writesHtmlAndPdf() {
    panels::ReportExporter exporter(*project_);
    QSignalSpy finished(&exporter, &panels::ReportExporter::finished);
    panels::ReportRequest request;
    request.runs = ids_;
    request.html_file = dir_.filePath("report.html");
    request.pdf_file = dir_.filePath("report.pdf");
    QVERIFY(exporter.start(request));
    QVERIFY(exporter.busy());
    QVERIFY(!exporter.start(request));  // one at a time
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
    QVERIFY(!exporter.busy());

    QFile html(request.html_file);
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(html.readAll());
    for (const auto& id : ids_) QVERIFY(text.contains(QString::fromStdString(id)));
    QCOMPARE(text.count(QStringLiteral("<svg")), 1);  // the one metric both runs have
    QVERIFY(text.contains(QStringLiteral("<td>lr</td>")));
    QVERIFY(!text.contains(QStringLiteral("<td>epochs</td>")));  // the same in both runs
    QFile pdf(request.pdf_file);
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.read(5) == "%PDF-");
    QVERIFY(pdf.size() > 5000);
  }

  void unknownRunFailsWithItsName() {
    panels::ReportExporter exporter(*project_);
    QSignalSpy finished(&exporter, &panels::ReportExporter::finished);
    panels::ReportRequest request;
    request.runs = {ids_.front(), "no-such-run"};
    request.html_file = dir_.filePath("missing.html");
    QVERIFY(exporter.start(request));
    QVERIFY(finished.wait(60000));
    QVERIFY(!finished.at(0).at(0).toBool());
    QVERIFY2(finished.at(0).at(1).toString().contains(QStringLiteral("no-such-run")), qPrintable(finished.at(0).at(1).toString()));
    QVERIFY(!QFile::exists(request.html_file));
  }
};

QTEST_MAIN(TestReportExporter)
#include "test_report_exporter.moc"
