#include "charts/report_exporter.hpp"

#include "charts/report_content.hpp"

#include <QtConcurrent/QtConcurrentRun>

#include <exception>
#include <utility>

namespace orrery::panels {

ReportExporter::ReportExporter(runfiles::Project project, QObject* parent) : QObject(parent), project_(std::move(project)) {
  connect(&watcher_, &QFutureWatcherBase::finished, this, &ReportExporter::gathered);
}

ReportExporter::~ReportExporter() { watcher_.waitForFinished(); }

bool ReportExporter::start(const ReportRequest& request) {
  if (busy_) return false;
  busy_ = true;
  request_ = request;
  watcher_.setFuture(QtConcurrent::run([project = project_, runs = request.runs, all = request.all_parameters] {
    Gathered g;
    try {
      g.content = std::make_shared<ReportContent>(collect_report(project, runs, all));
    } catch (const std::exception& e) {
      g.error = e.what();
    }
    return g;
  }));
  return true;
}

void ReportExporter::gathered() {
  const Gathered g = watcher_.result();
  busy_ = false;
  if (!g.content) {
    emit finished(false, QString::fromStdString(g.error));
    return;
  }
  try {
    write_report(*g.content, request_);
  } catch (const std::exception& e) {
    emit finished(false, QString::fromStdString(e.what()));
    return;
  }
  QStringList files;
  for (const QString& f : {request_.html_file, request_.pdf_file})
    if (!f.isEmpty()) files << f;
  emit finished(true, tr("Report of %n run(s) written to %1", nullptr, static_cast<int>(g.content->runs.size())).arg(files.join(QStringLiteral(", "))));
}

}  // namespace orrery::panels
