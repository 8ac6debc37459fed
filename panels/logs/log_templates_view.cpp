#include "logs/log_templates_view.hpp"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace orrery::panels {

namespace {

constexpr int kTemplatesRefreshMs = 250;
const QColor kSomeRanksTint(255, 236, 179);  // amber: a code path only some ranks took
const QColor kLateTint(255, 205, 210);       // red: something new, late

QString clock(double epoch_seconds) {
  return QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(epoch_seconds * 1000)).toString(QStringLiteral("HH:mm:ss.zzz"));
}

}  // namespace

QString format_ranks(const QList<int>& sorted_ranks) {
  QStringList parts;
  for (qsizetype i = 0; i < sorted_ranks.size();) {
    qsizetype j = i;
    while (j + 1 < sorted_ranks.size() && sorted_ranks[j + 1] == sorted_ranks[j] + 1) ++j;
    parts << (j == i ? QString::number(sorted_ranks[i]) : QStringLiteral("%1-%2").arg(sorted_ranks[i]).arg(sorted_ranks[j]));
    i = j + 1;
  }
  return parts.join(QStringLiteral(", "));
}

LogTemplatesView::LogTemplatesView(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  summary_ = new QLabel(this);
  summary_->setObjectName(QStringLiteral("templateSummary"));
  column->addWidget(summary_);

  auto* split = new QSplitter(Qt::Vertical, this);
  table_ = new QTableWidget(0, kColumnCount, split);
  table_->setObjectName(QStringLiteral("templates"));
  table_->setHorizontalHeaderLabels({QStringLiteral("Template"), QStringLiteral("Lines"), QStringLiteral("Ranks"),
                                     QStringLiteral("First seen"), QStringLiteral("Last seen"), QStringLiteral("Stands out")});
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->setVisible(false);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kTemplate, QHeaderView::Stretch);
  table_->setSortingEnabled(true);
  table_->sortByColumn(kLines, Qt::DescendingOrder);
  lines_ = new QPlainTextEdit(split);
  lines_->setObjectName(QStringLiteral("templateLines"));
  lines_->setReadOnly(true);
  lines_->setLineWrapMode(QPlainTextEdit::NoWrap);
  lines_->setFont(QFont(QStringLiteral("monospace")));
  lines_->setPlaceholderText(QStringLiteral("Select a template to see its lines"));
  split->addWidget(table_);
  split->addWidget(lines_);
  column->addWidget(split, 1);

  refresh_.setSingleShot(true);
  refresh_.setInterval(kTemplatesRefreshMs);
  connect(&refresh_, &QTimer::timeout, this, &LogTemplatesView::show_pending);
  connect(table_, &QTableWidget::itemSelectionChanged, this, &LogTemplatesView::on_selection);

  worker_ = new TemplateWorker;
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &TemplateWorker::snapshot, this, &LogTemplatesView::on_snapshot);
  connect(worker_, &TemplateWorker::linesOf, this, &LogTemplatesView::on_lines);
  thread_.setObjectName(QStringLiteral("orrery-log-templates"));
  thread_.start();
  reset();
}

LogTemplatesView::~LogTemplatesView() {
  thread_.quit();
  thread_.wait();
}

void LogTemplatesView::reset() {
  ++generation_;
  pending_.reset();
  selected_.reset();
  {
    QSignalBlocker block(table_);
    table_->setRowCount(0);
  }
  lines_->clear();
  summary_->setText(QStringLiteral("No lines yet"));
  QMetaObject::invokeMethod(worker_, [worker = worker_, generation = generation_] { worker->reset(generation); },
                            Qt::QueuedConnection);
}

void LogTemplatesView::addLines(int rank, const QStringList& lines) {
  const double now = static_cast<double>(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
  QMetaObject::invokeMethod(worker_, [worker = worker_, generation = generation_, rank, lines, now] {
    worker->addLines(generation, rank, lines, now);
  }, Qt::QueuedConnection);
}

int LogTemplatesView::templateCount() const { return table_->rowCount(); }

void LogTemplatesView::on_snapshot(quint64 generation, const TemplateRows& rows, quint64 total_lines, int ranks) {
  if (generation != generation_) return;
  pending_ = rows;
  pending_lines_ = total_lines;
  pending_ranks_ = ranks;
  if (!refresh_.isActive()) refresh_.start();
}

void LogTemplatesView::show_pending() {
  if (!pending_) return;
  const TemplateRows rows = std::move(*pending_);
  pending_.reset();
  QLocale locale;
  int standing_out = 0;
  {
    QSignalBlocker block(table_);
    table_->setSortingEnabled(false);
    table_->setRowCount(static_cast<int>(rows.size()));
    for (int r = 0; r < rows.size(); ++r) {
      const TemplateRow& t = rows[r];
      QStringList flags;
      if (t.some_ranks_only) flags << QStringLiteral("only on %1 of %2 ranks").arg(t.ranks.size()).arg(pending_ranks_);
      if (t.late) flags << QStringLiteral("first seen late");
      standing_out += flags.isEmpty() ? 0 : 1;
      auto* text = new QTableWidgetItem(t.text);
      text->setData(Qt::UserRole, t.id);
      text->setToolTip(t.text);
      auto* count = new QTableWidgetItem;
      count->setData(Qt::DisplayRole, t.lines);
      auto* ranks = new QTableWidgetItem(format_ranks(t.ranks));
      auto* first = new QTableWidgetItem(clock(t.first_time));
      first->setData(Qt::UserRole, t.first_time);
      auto* last = new QTableWidgetItem(clock(t.last_time));
      auto* why = new QTableWidgetItem(flags.join(QStringLiteral("; ")));
      QTableWidgetItem* items[] = {text, count, ranks, first, last, why};
      for (int c = 0; c < kColumnCount; ++c) {
        QTableWidgetItem* item = items[c];
        if (t.late)
          item->setBackground(kLateTint);
        else if (t.some_ranks_only)
          item->setBackground(kSomeRanksTint);
        table_->setItem(r, c, item);
      }
    }
    table_->setSortingEnabled(true);  // sorts again by the column the user chose
    if (selected_) {
      for (int r = 0; r < table_->rowCount(); ++r)
        if (table_->item(r, kTemplate)->data(Qt::UserRole).toUInt() == *selected_) table_->selectRow(r);
    }
  }
  summary_->setText(QStringLiteral("%1 lines from %2 ranks in %3 templates; %4 stand out")
                        .arg(locale.toString(pending_lines_))
                        .arg(pending_ranks_)
                        .arg(rows.size())
                        .arg(standing_out));
  if (selected_)
    QMetaObject::invokeMethod(worker_, [worker = worker_, generation = generation_, id = *selected_] {
      worker->requestLines(generation, id);
    }, Qt::QueuedConnection);
  emit updated();
}

void LogTemplatesView::on_selection() {
  const auto selected = table_->selectedItems();
  if (selected.isEmpty()) return;
  const quint32 id = table_->item(selected.first()->row(), kTemplate)->data(Qt::UserRole).toUInt();
  selected_ = id;
  QMetaObject::invokeMethod(worker_, [worker = worker_, generation = generation_, id] {
    worker->requestLines(generation, id);
  }, Qt::QueuedConnection);
}

bool LogTemplatesView::selectTemplate(quint32 id) {
  for (int r = 0; r < table_->rowCount(); ++r) {
    if (table_->item(r, kTemplate)->data(Qt::UserRole).toUInt() == id) {
      table_->selectRow(r);
      return true;
    }
  }
  return false;
}

void LogTemplatesView::on_lines(quint64 generation, quint32 id, const QStringList& lines) {
  if (generation != generation_ || !selected_ || id != *selected_) return;
  lines_->setPlainText(lines.join('\n'));
  emit linesShown();
}

}  // namespace orrery::panels
