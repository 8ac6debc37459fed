// The workbench's "Export report…": writes a report of runs without blocking the UI. The
// runs' files (run.json, annotations, run.h5) are read on a pool thread; the charts are
// widgets, which live on the UI thread only, so drawing and writing happen there once the
// data is in memory (a fraction of a second for a few charts).
#pragma once

#include "charts/report_export.hpp"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <memory>
#include <string>

namespace orrery::panels {

struct ReportContent;

class ReportExporter : public QObject {
  Q_OBJECT

 public:
  explicit ReportExporter(runfiles::Project project, QObject* parent = nullptr);
  ~ReportExporter() override;

  // Starts an export; false (nothing started) while one is still running.
  bool start(const ReportRequest& request);
  bool busy() const { return busy_; }

 signals:
  // ok: every requested file was written; message: what was written, or why not.
  void finished(bool ok, QString message);

 private:
  struct Gathered {
    std::shared_ptr<ReportContent> content;
    std::string error;
  };
  void gathered();

  runfiles::Project project_;
  ReportRequest request_;
  QFutureWatcher<Gathered> watcher_;
  bool busy_ = false;
};

}  // namespace orrery::panels
