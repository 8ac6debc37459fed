#include "logs/logs_panel.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTabWidget>
#include <QTextBlock>
#include <QToolButton>
#include <QVBoxLayout>

#include "logs/error_markers.hpp"
#include "logs/log_tailer.hpp"
#include "logs/log_templates_view.hpp"
#include "logs/search_highlighter.hpp"

namespace orrery::panels {

namespace {
// Lines reach the view at most this often, however fast they arrive.
constexpr int kRefreshMs = 100;
}  // namespace

LogsPanel::LogsPanel(const runfiles::Project& project, QWidget* parent)
    : QWidget(parent), project_(project), markers_(error_markers()) {
  auto* column = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  column->addLayout(bar);
  follow_ = new QToolButton(this);
  follow_->setObjectName(QStringLiteral("follow"));
  follow_->setText(QStringLiteral("Follow"));
  follow_->setCheckable(true);
  follow_->setChecked(true);
  follow_->setToolTip(QStringLiteral("Follow new lines (uncheck to pause the view; lines are still collected)"));
  bar->addWidget(follow_);
  rank_ = new QComboBox(this);
  rank_->setObjectName(QStringLiteral("rank"));
  rank_->addItem(QStringLiteral("All ranks"), -1);
  bar->addWidget(rank_);
  search_ = new QLineEdit(this);
  search_->setObjectName(QStringLiteral("search"));
  search_->setPlaceholderText(QStringLiteral("Search (Enter: next)"));
  search_->setClearButtonEnabled(true);
  bar->addWidget(search_, 1);
  matches_ = new QLabel(this);
  matches_->setObjectName(QStringLiteral("matchCount"));
  bar->addWidget(matches_);
  auto* previous = new QToolButton(this);
  previous->setObjectName(QStringLiteral("previous"));
  previous->setText(QStringLiteral("Previous"));
  bar->addWidget(previous);
  auto* next = new QToolButton(this);
  next->setObjectName(QStringLiteral("next"));
  next->setText(QStringLiteral("Next"));
  bar->addWidget(next);
  auto* jump = new QToolButton(this);
  jump->setObjectName(QStringLiteral("jumpToError"));
  jump->setText(QStringLiteral("First error"));
  jump->setToolTip(QStringLiteral("Jump to the first line holding: ") + markers_.join(QStringLiteral(", ")));
  bar->addWidget(jump);

  banner_ = new QLabel(this);
  banner_->setObjectName(QStringLiteral("banner"));
  banner_->setWordWrap(true);
  column->addWidget(banner_);
  view_ = new QPlainTextEdit(this);
  view_->setObjectName(QStringLiteral("log"));
  view_->setReadOnly(true);
  view_->setLineWrapMode(QPlainTextEdit::NoWrap);
  view_->setFont(QFont(QStringLiteral("monospace")));
  view_->setMaximumBlockCount(store_.cap());
  highlighter_ = new SearchHighlighter(view_->document());
  templates_ = new LogTemplatesView(this);
  auto* tabs = new QTabWidget(this);
  tabs->setObjectName(QStringLiteral("logTabs"));
  tabs->addTab(view_, QStringLiteral("Lines"));
  tabs->addTab(templates_, QStringLiteral("Templates"));
  column->addWidget(tabs, 1);
  error_status_ = new QLabel(this);
  error_status_->setObjectName(QStringLiteral("errorStatus"));
  column->addWidget(error_status_);

  connect(follow_, &QToolButton::toggled, this, &LogsPanel::setFollowing);
  connect(rank_, &QComboBox::currentIndexChanged, this, [this] { rebuild_view(); });
  connect(search_, &QLineEdit::textChanged, this, &LogsPanel::setSearchText);
  connect(search_, &QLineEdit::returnPressed, this, &LogsPanel::findNext);
  connect(next, &QToolButton::clicked, this, &LogsPanel::findNext);
  connect(previous, &QToolButton::clicked, this, &LogsPanel::findPrevious);
  connect(jump, &QToolButton::clicked, this, &LogsPanel::jumpToFirstError);

  refresh_timer_.setSingleShot(true);
  refresh_timer_.setInterval(kRefreshMs);
  connect(&refresh_timer_, &QTimer::timeout, this, &LogsPanel::refresh_view);

  tailer_ = new LogTailer;
  tailer_->moveToThread(&tail_thread_);
  connect(&tail_thread_, &QThread::finished, tailer_, &QObject::deleteLater);
  connect(tailer_, &LogTailer::linesRead, this, &LogsPanel::on_lines);
  connect(tailer_, &LogTailer::fileRestarted, this, &LogsPanel::on_restarted);
  connect(tailer_, &LogTailer::bytesSkipped, this, &LogsPanel::on_skipped);
  connect(tailer_, &LogTailer::failed, this, [this](quint64 generation, const QString& message) {
    if (generation != generation_) return;
    banner_->setText(QStringLiteral("cannot follow the logs: ") + message);
    banner_->setVisible(true);
  });
  tail_thread_.setObjectName(QStringLiteral("orrery-log-tail"));
  tail_thread_.start();
}

LogsPanel::~LogsPanel() {
  tail_thread_.quit();
  tail_thread_.wait();
}

void LogsPanel::setLineCap(int lines_per_rank) {
  store_.set_cap(lines_per_rank);
  rebuild_view();
}

bool LogsPanel::following() const { return follow_->isChecked(); }

std::optional<int> LogsPanel::rankFilter() const {
  int rank = rank_->currentData().toInt();
  return rank < 0 ? std::nullopt : std::optional<int>(rank);
}

void LogsPanel::setRun(const QString& runId) {
  run_id_ = runId;
  ++generation_;
  store_.clear();
  skipped_bytes_ = 0;
  shown_seq_ = 0;
  {
    QSignalBlocker block(rank_);
    while (rank_->count() > 1) rank_->removeItem(1);
    rank_->setCurrentIndex(0);
  }
  view_->clear();
  templates_->reset();
  error_status_->clear();
  update_banner();
  QMetaObject::invokeMethod(tailer_, [tailer = tailer_, generation = generation_, project = project_, runId] {
    tailer->follow(generation, project, runId);
  }, Qt::QueuedConnection);
}

void LogsPanel::on_lines(quint64 generation, int rank, const QStringList& lines) {
  if (generation != generation_) return;
  const bool new_rank = store_.size(rank) == 0 && store_.dropped(rank) == 0;
  store_.append(rank, lines);
  templates_->addLines(rank, lines);
  if (new_rank) update_rank_choices();
  if (!refresh_timer_.isActive()) refresh_timer_.start();
}

void LogsPanel::on_restarted(quint64 generation, int rank) {
  if (generation != generation_) return;
  store_.append(rank, {QStringLiteral("--- rank-%1.log was truncated or replaced; reading it again from its start ---").arg(rank)});
  if (!refresh_timer_.isActive()) refresh_timer_.start();
}

void LogsPanel::on_skipped(quint64 generation, int, qint64 bytes) {
  if (generation != generation_) return;
  skipped_bytes_ += bytes;
  update_banner();
}

void LogsPanel::refresh_view() {
  update_banner();
  if (!following()) return;
  const QStringList lines = store_.lines_since(shown_seq_, rankFilter());
  shown_seq_ = store_.last_seq();
  if (lines.isEmpty()) return;
  view_->appendPlainText(lines.join('\n'));
  view_->verticalScrollBar()->setValue(view_->verticalScrollBar()->maximum());
  count_matches();
  emit linesShown();
}

void LogsPanel::rebuild_view() {
  const auto filter = rankFilter();
  const auto rank_count = std::max<std::size_t>(1, store_.ranks().size());
  view_->setMaximumBlockCount(filter ? store_.cap() : store_.cap() * static_cast<int>(rank_count));
  view_->setPlainText(store_.lines_since(0, filter).join('\n'));
  shown_seq_ = store_.last_seq();
  if (following()) view_->verticalScrollBar()->setValue(view_->verticalScrollBar()->maximum());
  count_matches();
  update_banner();
  emit linesShown();
}

void LogsPanel::update_rank_choices() {
  const int selected = rank_->currentData().toInt();
  QSignalBlocker block(rank_);
  while (rank_->count() > 1) rank_->removeItem(1);
  for (int rank : store_.ranks()) rank_->addItem(QStringLiteral("Rank %1").arg(rank), rank);
  rank_->setCurrentIndex(std::max(0, rank_->findData(selected)));
  if (!rankFilter()) {
    const auto rank_count = static_cast<int>(store_.ranks().size());
    view_->setMaximumBlockCount(store_.cap() * std::max(1, rank_count));
  }
}

void LogsPanel::update_banner() {
  QStringList parts;
  QLocale locale;
  for (int rank : store_.ranks())
    if (qint64 n = store_.dropped(rank))
      parts << QStringLiteral("rank %1: %2 older lines dropped").arg(rank).arg(locale.toString(n));
  if (!parts.isEmpty())
    parts.prepend(QStringLiteral("Keeping the last %1 lines per rank;").arg(locale.toString(store_.cap())));
  if (skipped_bytes_ > 0)
    parts << QStringLiteral("the first %1 bytes of large logs were not read").arg(locale.toString(skipped_bytes_));
  if (!following()) parts << QStringLiteral("Paused: new lines are collected but not shown.");
  banner_->setText(parts.join(' '));
  banner_->setVisible(!parts.isEmpty());
}

void LogsPanel::setFollowing(bool on) {
  if (follow_->isChecked() != on) {
    follow_->setChecked(on);   // comes back here through toggled
    return;
  }
  if (on) refresh_view();
  update_banner();
}

void LogsPanel::setRankFilter(std::optional<int> rank) {
  int index = rank ? rank_->findData(*rank) : 0;
  if (index >= 0) rank_->setCurrentIndex(index);
}

void LogsPanel::setSearchText(const QString& text) {
  if (search_->text() != text) search_->setText(text);   // comes back here through textChanged
  highlighter_->setTerm(text);
  count_matches();
}

void LogsPanel::count_matches() {
  const QString& term = highlighter_->term();
  match_count_ = term.isEmpty() ? 0 : static_cast<int>(view_->toPlainText().count(term, Qt::CaseInsensitive));
  matches_->setText(term.isEmpty() ? QString() : QStringLiteral("%1 matches").arg(match_count_));
}

void LogsPanel::findNext() { find(false); }
void LogsPanel::findPrevious() { find(true); }

void LogsPanel::find(bool backward) {
  const QString& term = highlighter_->term();
  if (term.isEmpty()) return;
  setFollowing(false);   // keep the match in view while lines arrive
  const QTextDocument::FindFlags flags = backward ? QTextDocument::FindBackward : QTextDocument::FindFlags();
  if (view_->find(term, flags)) return;
  QTextCursor wrap(view_->document());   // wrap around to the other end
  wrap.movePosition(backward ? QTextCursor::End : QTextCursor::Start);
  view_->setTextCursor(wrap);
  view_->find(term, flags);
}

bool LogsPanel::jumpToFirstError() {
  for (QTextBlock block = view_->document()->begin(); block.isValid(); block = block.next()) {
    if (!is_error_line(block.text(), markers_)) continue;
    setFollowing(false);
    QTextCursor cursor(block);
    cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
    view_->setTextCursor(cursor);
    view_->centerCursor();
    error_status_->setText(QStringLiteral("First error at line %1").arg(block.blockNumber() + 1));
    return true;
  }
  error_status_->setText(QStringLiteral("No line holds any of: ") + markers_.join(QStringLiteral(", ")));
  return false;
}

}  // namespace orrery::panels
