#include "message_size_panel.hpp"

#include <QHeaderView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <set>

namespace orrery::kinds::allreduce {

MessageSizePanel::MessageSizePanel(const runfiles::Project& project, QWidget* parent)
    : KindPanel(parent), project_(project), table_(new QTableWidget(this)), message_(new QLabel(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(message_);
  layout->addWidget(table_);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  message_->setText(tr("Select allreduce-bench runs to compare their message sizes."));
  connect(&watcher_, &QFutureWatcherBase::finished, this, [this] {
    if (watcher_.property("request").toULongLong() == request_) fillTable(watcher_.result());
  });
}

void MessageSizePanel::showRuns(const QStringList& runIds) {
  ++request_;
  // Paths are built here (run_path checks each id) so the worker gets only checked paths.
  std::vector<std::pair<std::string, std::filesystem::path>> runs;
  for (const QString& id : runIds) {
    try {
      runs.emplace_back(id.toStdString(), runfiles::run_path(project_, id.toStdString()) / "run.h5");
    } catch (const std::exception&) {
      // An id that is not a valid run id is not shown rather than trusted.
    }
  }
  watcher_.setProperty("request", QVariant::fromValue(request_));
  watcher_.setFuture(QtConcurrent::run([runs] {
    std::vector<MessageSizeTable> tables;
    for (const auto& [id, path] : runs) tables.push_back(read_message_size_table(id, path));
    return tables;
  }));
}

void MessageSizePanel::fillTable(const std::vector<MessageSizeTable>& tables) {
  std::set<std::int64_t> sizes;
  QStringList problems;
  for (const auto& t : tables) {
    for (const auto& [bytes, _] : t.by_bytes) sizes.insert(bytes);
    if (!t.error.empty()) problems << QString::fromStdString(t.run_id + ": " + t.error);
  }
  table_->clear();
  table_->setRowCount(static_cast<int>(sizes.size()));
  table_->setColumnCount(1 + 2 * static_cast<int>(tables.size()));
  QStringList headers{tr("Message size")};
  for (const auto& t : tables) {
    const QString run = QString::fromStdString(t.run_id);
    headers << tr("%1\nlatency (µs)").arg(run) << tr("%1\nbusbw (GB/s)").arg(run);
  }
  table_->setHorizontalHeaderLabels(headers);
  int row = 0;
  for (std::int64_t bytes : sizes) {
    table_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(format_bytes(bytes))));
    for (std::size_t r = 0; r < tables.size(); ++r) {
      auto it = tables[r].by_bytes.find(bytes);
      if (it == tables[r].by_bytes.end()) continue;
      const int column = 1 + 2 * static_cast<int>(r);
      table_->setItem(row, column, new QTableWidgetItem(QString::number(it->second.latency_us, 'f', 2)));
      table_->setItem(row, column + 1, new QTableWidgetItem(QString::number(it->second.busbw_GBps, 'f', 3)));
    }
    ++row;
  }
  message_->setText(problems.isEmpty() ? tr("%n message size(s)", nullptr, static_cast<int>(sizes.size()))
                                       : problems.join('\n'));
  emit tableUpdated();
}

}  // namespace orrery::kinds::allreduce
