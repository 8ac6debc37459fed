// The logs panel: follows every rank's log of one run live. A LogTailer on a
// worker thread reads appended bytes; the lines land in a bounded LogStore and
// reach the view in coalesced batches (every 100 ms at most), so a chatty run
// never repaints per line. Pause/follow, rank filter, search with highlighting
// and "jump to first error" work on what the view shows. A second tab groups the
// lines of all ranks into templates (log_templates_view.hpp).
#pragma once

#include <optional>

#include <QString>
#include <QStringList>
#include <QThread>
#include <QTimer>
#include <QWidget>

#include "logs/log_store.hpp"
#include "runfiles/project.hpp"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QToolButton;

namespace orrery::panels {

class LogTailer;
class LogTemplatesView;
class SearchHighlighter;

class LogsPanel : public QWidget {
  Q_OBJECT
 public:
  LogsPanel(const runfiles::Project& project, QWidget* parent = nullptr);
  ~LogsPanel() override;

  // Lines kept per rank (default LogStore::kDefaultCap); older ones are dropped.
  void setLineCap(int lines_per_rank);
  int lineCap() const { return store_.cap(); }
  // What the next "jump to first error" looks for (error_markers() by default).
  void setErrorMarkers(const QStringList& markers) { markers_ = markers; }

  const QString& runId() const { return run_id_; }
  bool following() const;
  std::optional<int> rankFilter() const;   // nullopt: all ranks
  int searchMatchCount() const { return match_count_; }
  int storedLines(int rank) const { return store_.size(rank); }   // held for the view, at most lineCap()

 public slots:
  void setRun(const QString& runId);
  void setFollowing(bool on);
  void setRankFilter(std::optional<int> rank);
  void setSearchText(const QString& text);
  void findNext();
  void findPrevious();
  bool jumpToFirstError();   // false when no shown line matches

 signals:
  void linesShown();   // the view was updated (tests wait on it)

 private:
  void on_lines(quint64 generation, int rank, const QStringList& lines);
  void on_restarted(quint64 generation, int rank);
  void on_skipped(quint64 generation, int rank, qint64 bytes);
  void refresh_view();
  void rebuild_view();
  void update_rank_choices();
  void update_banner();
  void count_matches();
  void find(bool backward);

  runfiles::Project project_;
  QString run_id_;
  quint64 generation_ = 0;
  LogStore store_;
  quint64 shown_seq_ = 0;   // the view holds the lines up to this sequence number
  qint64 skipped_bytes_ = 0;
  QStringList markers_;
  int match_count_ = 0;

  QThread tail_thread_;
  LogTailer* tailer_ = nullptr;
  QTimer refresh_timer_;

  QPlainTextEdit* view_ = nullptr;
  LogTemplatesView* templates_ = nullptr;   // the "Templates" tab
  SearchHighlighter* highlighter_ = nullptr;
  QToolButton* follow_ = nullptr;
  QComboBox* rank_ = nullptr;
  QLineEdit* search_ = nullptr;
  QLabel* matches_ = nullptr;
  QLabel* banner_ = nullptr;
  QLabel* error_status_ = nullptr;
};

}  // namespace orrery::panels
