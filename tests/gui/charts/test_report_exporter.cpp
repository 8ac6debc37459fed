// The workbench's "Export report…" engine: two runs written as the agent writes them,
// reported to HTML and PDF through ReportExporter with the event loop running; while the
// runs are read, the exporter refuses a second start; an unknown run fails with its name.
#include "charts/report_exporter.hpp"

#include "runfiles/project.hpp"
#include "runfiles/run_h5_writer.hpp"
#include "runfiles/run_record.hpp"

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
    const std::string id = runfiles::make_run_id(*project_, name);
    const auto run_dir = runfiles::run_path(*project_, id);
    std::filesystem::create_directories(run_dir);
    runfiles::RunRecord record;
    record.id = id;
    record.name = name;
    record.kind = "command";
    record.ranks = 2;
    record.status = runfiles::RunStatus::Succeeded;
    record.created = record.started = 1.7e9;
    record.ended = 1.7e9 + 100;
    record.spec = {{"params", {{"lr", lr}, {"epochs", 3}}}};
    runfiles::write_run_record(run_dir, record);
    runfiles::RunH5Writer writer(run_dir / "run.h5", {record.id, record.kind, 2});
    for (int rank = 0; rank < 2; ++rank) {
      std::vector<std::int64_t> steps;
      std::vector<double> times, values;
      for (int s = 0; s < 500; ++s) {
        steps.push_back(s);
        times.push_back(1.7e9 + s * 0.1);
        values.push_back(2.0 * std::exp(-s * lr) + 0.01 * rank);
      }
      QVERIFY(writer.append_series("metrics", rank, "loss", steps, times, values));
    }
    writer.close();
    ids_.push_back(id);
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
