// The logs panel's "Templates" tab: the lines of every rank grouped into templates (the
// Drain parser of core/logs, on a worker thread), one row per template with its line
// count, the ranks it came from and when it was first and last seen (when the panel read
// it). Rows that stand out are tinted and say why: a template seen on only some ranks,
// and one that first appeared late in its ranks' logs. Selecting a row shows the lines
// it covers (the most recent ones). The table is refreshed at most every 250 ms.
#pragma once

#include <optional>

#include <QStringList>
#include <QThread>
#include <QTimer>
#include <QWidget>

#include "logs/template_worker.hpp"

class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace orrery::panels {

class LogTemplatesView : public QWidget {
  Q_OBJECT
 public:
  enum Column { kTemplate, kLines, kRanks, kFirstSeen, kLastSeen, kFlags, kColumnCount };

  explicit LogTemplatesView(QWidget* parent = nullptr);
  ~LogTemplatesView() override;

  // Forget every template (the panel shows another run).
  void reset();
  // Lines of one rank, as the panel receives them.
  void addLines(int rank, const QStringList& lines);

  int templateCount() const;
  // Selects the row of template `id` (as selecting it with the mouse does).
  bool selectTemplate(quint32 id);
  std::optional<quint32> selectedTemplate() const { return selected_; }

 signals:
  void updated();      // a snapshot reached the table
  void linesShown();   // the selected template's lines reached the lines view

 private:
  void on_snapshot(quint64 generation, const orrery::panels::TemplateRows& rows, quint64 total_lines, int ranks);
  void on_lines(quint64 generation, quint32 id, const QStringList& lines);
  void show_pending();
  void on_selection();

  QThread thread_;
  TemplateWorker* worker_ = nullptr;
  quint64 generation_ = 1;
  std::optional<TemplateRows> pending_;
  quint64 pending_lines_ = 0;
  int pending_ranks_ = 0;
  QTimer refresh_;
  std::optional<quint32> selected_;

  QLabel* summary_ = nullptr;
  QTableWidget* table_ = nullptr;
  QPlainTextEdit* lines_ = nullptr;
};

// "0-3, 5, 7-8"
QString format_ranks(const QList<int>& sorted_ranks);

}  // namespace orrery::panels
