// allreduce-bench's own panel: latency and bus bandwidth per message size,
// one column pair per selected run, so runs on different rank counts or
// networks compare at a glance (the question every OSU-style table answers).
#pragma once

#include "common/job_kind_plugin.hpp"
#include "message_size_table.hpp"

#include <QFutureWatcher>
#include <QLabel>
#include <QTableWidget>

#include <vector>

namespace orrery::kinds::allreduce {

class MessageSizePanel : public panels::KindPanel {
  Q_OBJECT
 public:
  MessageSizePanel(const runfiles::Project& project, QWidget* parent);
  void showRuns(const QStringList& runIds) override;
  const QTableWidget* table() const { return table_; }

 signals:
  void tableUpdated();

 private:
  void fillTable(const std::vector<MessageSizeTable>& tables);

  runfiles::Project project_;
  QTableWidget* table_;
  QLabel* message_;
  QFutureWatcher<std::vector<MessageSizeTable>> watcher_;
  quint64 request_ = 0;   // only the newest request's result is shown
};

}  // namespace orrery::kinds::allreduce
