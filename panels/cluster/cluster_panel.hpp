// Cluster targets: the project's targets (orrery.json) and their state; for the selected one
// the last check's results (connection, remote system, MPI, deployed runtime, Slurm's version)
// and, for Slurm, its partitions (sinfo) and the user's queue (squeue). "Test connection"
// checks the selected target, "Refresh" reads orrery.json again (off the UI thread) and checks
// all of them; while the panel is visible they are
// refreshed in the background every interval; "Cancel" stops the checks under way and the
// background refresh. Every check runs off the UI thread (TargetChecker).
//
// A host key seen for the first time is asked about when the person pressed Test connection
// (a background refresh only shows the state): the key's fingerprints, and on Yes the key is
// recorded in the target's known_hosts and the check runs again.
#pragma once

#include "launch/local_launcher.hpp"
#include "remote/target.hpp"
#include "runfiles/project.hpp"

#include <QSet>
#include <QWidget>

#include <chrono>

class QCheckBox;
class QLabel;
class QMessageBox;
class QPushButton;
class QTableView;
class QTableWidget;
class QTimer;

namespace orrery::panels {

class TargetChecker;
class TargetListModel;

class ClusterPanel : public QWidget {
  Q_OBJECT
 public:
  ClusterPanel(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent = nullptr);
  ~ClusterPanel() override;

  TargetChecker& checker() const { return *checker_; }
  TargetListModel& model() const { return *model_; }
  void setRefreshInterval(std::chrono::milliseconds interval);
  void selectTarget(const QString& target);
  QString selectedTarget() const;

 public slots:
  void testSelected();
  void refreshAll();
  void cancel();

 signals:
  // A host-key question is open (the box deletes itself when answered).
  void hostKeyAsked(QMessageBox* box);

 protected:
  void showEvent(QShowEvent* event) override;
  void hideEvent(QHideEvent* event) override;

 private:
  void checkFinished(const QString& target);
  void showDetails();
  void askAboutHostKey(const QString& target);
  void updateTimer();
  void applyTargets(const QString& issues, bool read, const std::vector<remote::Target>& targets);
  void checkAll();

  runfiles::Project project_;
  bool readingSettings_ = false;
  quint64 refreshGeneration_ = 0;   // Cancel counts up: a refresh reading orrery.json then checks nothing
  TargetChecker* checker_ = nullptr;
  TargetListModel* model_ = nullptr;
  QTableView* targets_ = nullptr;
  QLabel *state_ = nullptr, *connection_ = nullptr, *system_ = nullptr, *mpi_ = nullptr, *runtime_ = nullptr,
         *slurm_ = nullptr, *issues_ = nullptr;
  QTableWidget *partitions_ = nullptr, *queue_ = nullptr;
  QPushButton *test_ = nullptr, *refresh_ = nullptr, *cancel_ = nullptr;
  QCheckBox* autoRefresh_ = nullptr;
  QTimer* timer_ = nullptr;
  QSet<QString> askedByUser_;   // targets whose Test connection was pressed: an unknown key is asked about
};

}  // namespace orrery::panels
