// The templates view's parser, off the UI thread: a TemplateCatalog (core/logs: Drain
// with per-template counts, ranks and times) living on a worker thread. Lines go in by
// queued calls; after each batch a snapshot of the template table comes back by signal,
// and the lines of one template on request. A generation number tags everything, so the
// view can drop what belongs to a run it no longer shows.
#pragma once

#include <memory>

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

namespace orrery::logs {
class TemplateCatalog;
}

namespace orrery::panels {

struct TemplateRow {
  quint32 id = 0;
  QString text;
  quint64 lines = 0;
  QList<int> ranks;
  double first_time = 0;
  double last_time = 0;
  bool some_ranks_only = false;
  bool late = false;
};
using TemplateRows = QList<TemplateRow>;

class TemplateWorker : public QObject {
  Q_OBJECT
 public:
  explicit TemplateWorker(QObject* parent = nullptr);
  ~TemplateWorker() override;

 public slots:
  // Forget every template: the view shows another run from now on.
  void reset(quint64 generation);
  // Lines of one rank, read at `time` (seconds since the epoch).
  void addLines(quint64 generation, int rank, const QStringList& lines, double time);
  // Answers with linesOf(): the template's most recent lines, "[rank] text".
  void requestLines(quint64 generation, quint32 id);

 signals:
  void snapshot(quint64 generation, const orrery::panels::TemplateRows& rows, quint64 total_lines, int ranks);
  void linesOf(quint64 generation, quint32 id, const QStringList& lines);

 private:
  quint64 generation_ = 0;
  std::unique_ptr<logs::TemplateCatalog> catalog_;
};

}  // namespace orrery::panels
