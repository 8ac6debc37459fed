#include "cluster/cluster_panel.hpp"

#include "cluster/host_key_prompt.hpp"
#include "cluster/target_checker.hpp"
#include "cluster/target_list_model.hpp"

#include "remote/target.hpp"

#include <QCheckBox>
#include <QFutureWatcher>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace orrery::panels {

namespace {

constexpr std::chrono::seconds kClusterRefreshInterval{30};

// orrery.json's targets, and the problems of those left out (one line each).
struct ProjectTargets {
  std::vector<remote::Target> targets;
  QString issues;
  bool read = true;   // false: orrery.json could not be read (issues says why)
};

ProjectTargets targetsOf(const nlohmann::json& settings) {
  ProjectTargets out;
  std::vector<spec::Issue> issues;
  out.targets = remote::parse_targets(settings, &issues);
  for (const auto& i : issues) out.issues += QString::fromStdString(spec::to_string(i)) + QObject::tr(" (target skipped)\n");
  return out;
}

// Reads orrery.json again (a file: off the UI thread).
ProjectTargets readProjectTargets(const std::filesystem::path& root) {
  try {
    return targetsOf(runfiles::open_project(root, false).settings);
  } catch (const std::exception& e) {
    ProjectTargets failed;
    failed.read = false;
    failed.issues = QObject::tr("orrery.json could not be read (the targets shown are those read before): %1").arg(e.what());
    return failed;
  }
}

QLabel* detailLabel(const char* objectName) {
  auto* label = new QLabel;
  label->setObjectName(objectName);
  label->setWordWrap(true);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  return label;
}

QTableWidget* rowsTable(const char* objectName, const std::vector<std::string>& columns) {
  auto* table = new QTableWidget(0, static_cast<int>(columns.size()));
  table->setObjectName(objectName);
  QStringList headers;
  for (const auto& c : columns) headers << QString::fromStdString(c);
  table->setHorizontalHeaderLabels(headers);
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->verticalHeader()->hide();
  table->horizontalHeader()->setStretchLastSection(true);
  return table;
}

void fillRows(QTableWidget* table, const std::vector<std::vector<std::string>>& rows) {
  table->setRowCount(static_cast<int>(rows.size()));
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    const auto& row = rows[static_cast<std::size_t>(r)];
    for (int c = 0; c < table->columnCount(); ++c)
      table->setItem(r, c, new QTableWidgetItem(c < static_cast<int>(row.size()) ? QString::fromStdString(row[static_cast<std::size_t>(c)]) : QString()));
  }
}

}  // namespace

ClusterPanel::ClusterPanel(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent)
    : QWidget(parent), project_(project) {
  auto initial = targetsOf(project.settings);   // already in memory: no file read here
  const QString issues = initial.issues;
  checker_ = new TargetChecker(std::move(initial.targets), paths.bin_dir / "orrery-agent", this);
  model_ = new TargetListModel(*checker_, this);

  targets_ = new QTableView;
  targets_->setObjectName("cluster.targets");
  targets_->setModel(model_);
  targets_->setSelectionBehavior(QAbstractItemView::SelectRows);
  targets_->setSelectionMode(QAbstractItemView::SingleSelection);
  targets_->verticalHeader()->hide();
  targets_->horizontalHeader()->setStretchLastSection(true);

  test_ = new QPushButton(tr("Test connection"));
  test_->setObjectName("cluster.test");
  refresh_ = new QPushButton(tr("Refresh"));
  refresh_->setObjectName("cluster.refresh");
  refresh_->setToolTip(tr("Check every target now"));
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setObjectName("cluster.cancel");
  cancel_->setToolTip(tr("Stop the checks under way and the background refresh"));
  autoRefresh_ = new QCheckBox(tr("Refresh every %1 s").arg(kClusterRefreshInterval.count()));
  autoRefresh_->setObjectName("cluster.autoRefresh");
  autoRefresh_->setChecked(true);
  auto* buttons = new QHBoxLayout;
  for (QWidget* w : {static_cast<QWidget*>(test_), static_cast<QWidget*>(refresh_), static_cast<QWidget*>(cancel_)})
    buttons->addWidget(w);
  buttons->addStretch();
  buttons->addWidget(autoRefresh_);

  auto* details = new QWidget;
  auto* form = new QFormLayout;
  state_ = detailLabel("cluster.state");
  connection_ = detailLabel("cluster.connection");
  system_ = detailLabel("cluster.system");
  mpi_ = detailLabel("cluster.mpi");
  runtime_ = detailLabel("cluster.runtime");
  slurm_ = detailLabel("cluster.slurm");
  form->addRow(tr("State"), state_);
  form->addRow(tr("Connection"), connection_);
  form->addRow(tr("System"), system_);
  form->addRow(tr("MPI"), mpi_);
  form->addRow(tr("Runtime"), runtime_);
  form->addRow(tr("Slurm"), slurm_);
  partitions_ = rowsTable("cluster.partitions", remote::kPartitionColumns);
  queue_ = rowsTable("cluster.queue", remote::kQueueColumns);
  auto* detailsLayout = new QVBoxLayout(details);
  detailsLayout->setContentsMargins(0, 0, 0, 0);
  detailsLayout->addLayout(form);
  detailsLayout->addWidget(new QLabel(tr("Partitions (sinfo)")));
  detailsLayout->addWidget(partitions_);
  detailsLayout->addWidget(new QLabel(tr("Your queue (squeue)")));
  detailsLayout->addWidget(queue_);

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(targets_);
  split->addWidget(details);
  issues_ = detailLabel("cluster.issues");
  issues_->setText(issues.trimmed());
  issues_->setVisible(!issues.isEmpty());

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(issues_);
  layout->addLayout(buttons);
  layout->addWidget(split, 1);

  timer_ = new QTimer(this);
  timer_->setInterval(kClusterRefreshInterval);
  connect(timer_, &QTimer::timeout, this, &ClusterPanel::refreshAll);
  connect(test_, &QPushButton::clicked, this, &ClusterPanel::testSelected);
  connect(refresh_, &QPushButton::clicked, this, &ClusterPanel::refreshAll);
  connect(cancel_, &QPushButton::clicked, this, &ClusterPanel::cancel);
  connect(autoRefresh_, &QCheckBox::toggled, this, &ClusterPanel::updateTimer);
  connect(checker_, &TargetChecker::started, this, [this](const QString& t) {
    if (t == selectedTarget()) showDetails();
  });
  connect(checker_, &TargetChecker::finished, this, &ClusterPanel::checkFinished);
  connect(targets_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ClusterPanel::showDetails);
  if (model_->rowCount() > 0) targets_->selectRow(0);
  showDetails();
}

ClusterPanel::~ClusterPanel() = default;

void ClusterPanel::setRefreshInterval(std::chrono::milliseconds interval) { timer_->setInterval(interval); }

void ClusterPanel::selectTarget(const QString& target) {
  int row = model_->rowOf(target);
  if (row >= 0) targets_->selectRow(row);
}

QString ClusterPanel::selectedTarget() const {
  auto rows = targets_->selectionModel()->selectedRows();
  return rows.isEmpty() ? QString() : model_->targetAt(rows.front().row());
}

void ClusterPanel::testSelected() {
  const QString target = selectedTarget();
  if (target.isEmpty()) return;
  askedByUser_.insert(target);
  checker_->check(target);   // already running (a background refresh): its result is asked about all the same
}

void ClusterPanel::refreshAll() {
  if (readingSettings_) return;
  readingSettings_ = true;
  auto* watcher = new QFutureWatcher<ProjectTargets>(this);
  connect(watcher, &QFutureWatcher<ProjectTargets>::finished, this, [this, watcher, generation = refreshGeneration_] {
    readingSettings_ = false;
    const auto& read = watcher->result();
    applyTargets(read.issues, read.read, read.targets);
    watcher->deleteLater();
    if (generation == refreshGeneration_) checkAll();   // else Cancel was pressed meanwhile
  });
  watcher->setFuture(QtConcurrent::run(readProjectTargets, project_.root));
}

void ClusterPanel::applyTargets(const QString& issues, bool read, const std::vector<remote::Target>& targets) {
  issues_->setText(issues.trimmed());
  issues_->setVisible(!issues.isEmpty());
  if (!read) return;
  const QString selected = selectedTarget();
  checker_->setTargets(targets);
  selectTarget(selected);
  if (selectedTarget().isEmpty() && model_->rowCount() > 0) targets_->selectRow(0);
  showDetails();
}

void ClusterPanel::checkAll() {
  for (const auto& t : checker_->targets()) checker_->check(QString::fromStdString(t.name));
}

void ClusterPanel::cancel() {
  ++refreshGeneration_;
  autoRefresh_->setChecked(false);
  askedByUser_.clear();
  checker_->cancelAll();
}

void ClusterPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  updateTimer();
}

void ClusterPanel::hideEvent(QHideEvent* event) {
  QWidget::hideEvent(event);
  updateTimer();
}

void ClusterPanel::updateTimer() {
  // Background checks only while someone can see them: a hidden panel costs no ssh calls.
  if (autoRefresh_->isChecked() && isVisible()) {
    if (!timer_->isActive()) {
      timer_->start();
      refreshAll();
    }
  } else {
    timer_->stop();
  }
}

void ClusterPanel::checkFinished(const QString& target) {
  if (target == selectedTarget()) showDetails();
  const auto* check = checker_->lastCheck(target);
  if (!askedByUser_.contains(target) || !check) return;
  if (check->outcome == remote::TargetCheck::Outcome::UnknownHostKey && !check->offered_keys.empty()) {
    askAboutHostKey(target);   // stays in askedByUser_: the check after trusting answers it
    return;
  }
  askedByUser_.remove(target);
}

void ClusterPanel::askAboutHostKey(const QString& target) {
  QMessageBox* box = askToTrustHostKey(this, *checker_->lastCheck(target));
  connect(box, &QMessageBox::finished, this, [this, target, box] {
    const auto* check = checker_->lastCheck(target);
    if (box->clickedButton() == box->button(QMessageBox::Yes) && check &&
        check->outcome == remote::TargetCheck::Outcome::UnknownHostKey) {
      checker_->trustAndCheck(target);
    } else {
      askedByUser_.remove(target);
      checker_->declineHostKey(target);
    }
  });
  box->open();
  emit hostKeyAsked(box);
}

void ClusterPanel::showDetails() {
  const QString target = selectedTarget();
  const auto* check = target.isEmpty() ? nullptr : checker_->lastCheck(target);
  // With the time of the last check: a background refresh says how fresh what is shown is.
  const QDateTime checkedAt = checker_->running(target) ? QDateTime() : checker_->lastCheckedAt(target);
  state_->setText(target.isEmpty()        ? QString()
                  : checkedAt.isValid()   ? tr("%1 (checked %2)").arg(model_->stateText(target), checkedAt.toString("HH:mm:ss"))
                                          : model_->stateText(target));
  connection_->setText(check ? QString::fromStdString(check->connection) : QString());
  system_->setText(check ? QString::fromStdString(check->system) : QString());
  mpi_->setText(check ? QString::fromStdString(check->mpi) : QString());
  runtime_->setText(check ? QString::fromStdString(check->runtime) : QString());
  slurm_->setText(check ? QString::fromStdString(check->slurm) : QString());
  fillRows(partitions_, check ? check->partitions : std::vector<std::vector<std::string>>{});
  fillRows(queue_, check ? check->queue : std::vector<std::vector<std::string>>{});
  partitions_->setToolTip(check ? QString::fromStdString(check->partitions_error) : QString());
  queue_->setToolTip(check ? QString::fromStdString(check->queue_error) : QString());
  test_->setEnabled(!target.isEmpty());
}

}  // namespace orrery::panels
