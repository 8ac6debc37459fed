// The launch form: pick a job kind, fill in its typed parameters (the form is
// generated from the kind's schema), optionally sweep some of them, and launch.
//
// Validation is core's validate_spec (through expand_sweep) on the spec the form
// would produce, on every edit; each error's JSON path is mapped to its field,
// so the messages are exactly the CLI's. Kinds and run.json are read off the UI
// thread; launches go through a LaunchQueue (launch_queue.hpp).
//
// The Target choice lists the project's targets (orrery.json, re-read when it changes).
// A run on an ssh target goes through an SshLaunch (ssh_launch.hpp) and is then kept
// followed by a RemoteRunKeeper until its folder is copied back.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <QPointer>
#include <QString>
#include <QWidget>

#include "launch/local_launcher.hpp"
#include "remote/target.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_catalog.hpp"
#include "spec/sweep.hpp"

class QComboBox;
class QDialog;
class QFileSystemWatcher;
class QFormLayout;
class QMessageBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace orrery::panels {

class LaunchQueue;
class ParamEditor;
class RemoteRunKeeper;
class SlurmLaunch;
class SshLaunch;

class LaunchPanel : public QWidget {
  Q_OBJECT
 public:
  LaunchPanel(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent = nullptr);

  bool kindsLoaded() const { return kinds_loaded_; }
  bool targetsLoaded() const { return targets_loaded_; }
  // Whether the form currently describes launchable runs (the Launch button's state).
  bool isValid() const { return !expansion_.specs.empty() && local_errors_ == 0; }
  int plannedRuns() const { return static_cast<int>(expansion_.specs.size()); }
  // The validated spec of the i-th run Launch would start (what its run.json will record).
  nlohmann::json plannedSpec(int i) const { return expansion_.specs.at(static_cast<std::size_t>(i)).to_json(); }

 public slots:
  // Fills the form from an existing run's run.json ("duplicate as new launch").
  void setFromRun(const QString& runId);
  // "Resume from this checkpoint": the run's spec on `ranks` ranks, its "resume"
  // parameter set to the checkpoint file when the kind has one.
  void resumeFromCheckpoint(const QString& runId, const QString& checkpoint, int ranks);
  void launch();
  void cancelPendingLaunches();

 signals:
  void kindsReady();                       // the catalog has been read; the kind picker is filled
  void formFilledFromRun(const QString& runId);
  void runLaunched(const QString& runId);
  void launchFailed(const QString& message);
  void launchesFinished();                 // the current batch has nothing left to start
  void remoteProgress(const QString& line);   // each progress line of a remote launch (also shown under the form)
  void targetsReady();                     // orrery.json's targets have been (re-)read into the Target choice
  void hostKeyAsked(QMessageBox* box);     // an ssh target's host key is unknown: the question is open
  void remoteRunCopiedBack(const QString& runId);   // a run on an ssh target ended and its folder is here
  void sbatchScriptShown(QDialog* dialog);          // a Slurm launch waits for Submit (accept) or Cancel (reject)
  void slurmJobEnded(const QString& runId, const QString& state);   // its run has a verdict, Slurm's last word

 private:
  void build_ui();
  void on_kinds_loaded(spec::KindCatalog catalog, const QString& problems);
  void on_kind_changed();
  struct ResumeFrom {
    QString checkpoint;
    int ranks = 1;
  };
  void fill_from_run(const QString& runId, const std::optional<ResumeFrom>& resume);
  void fill_from_spec(const nlohmann::json& spec);
  nlohmann::json form_document(std::vector<spec::SweepAxis>* axes);
  void revalidate();
  void show_errors(const std::vector<spec::Issue>& errors);
  void update_launch_state();
  void load_targets();
  void on_targets_loaded(std::vector<remote::Target> targets, const QString& problems);
  const remote::Target* chosen_target() const;
  void launch_on_ssh(const spec::KindSchema& kind, const remote::Target& target);
  void launch_on_slurm(const spec::KindSchema& kind, const remote::Target& target);
  void remote_launch_failed(const QString& message);
  bool remote_launch_running() const;
  void drop_idle_queue();
  void follow_remote_run(const QString& runId, RemoteRunKeeper* keeper);

  runfiles::Project project_;
  launch::InstallPaths paths_;
  spec::KindCatalog catalog_;
  bool kinds_loaded_ = false;
  std::optional<QString> run_waiting_for_kinds_;
  std::optional<ResumeFrom> resume_waiting_for_kinds_;

  QComboBox* kind_ = nullptr;
  QLabel* description_ = nullptr;
  QLineEdit* name_ = nullptr;
  QLineEdit* tags_ = nullptr;
  QSpinBox* ranks_ = nullptr;
  QComboBox* target_ = nullptr;
  QFormLayout* params_form_ = nullptr;
  QWidget* params_box_ = nullptr;
  std::vector<ParamEditor*> editors_;
  std::map<std::string, QLabel*> field_messages_;   // "$.name", "$.tags", "$.ranks", "$.kind", "$.target", "$"
  std::map<std::string, QWidget*> field_widgets_;
  QLabel* run_count_ = nullptr;
  QSpinBox* concurrency_ = nullptr;
  QPushButton* launch_button_ = nullptr;
  QPushButton* cancel_button_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* launch_status_ = nullptr;

  spec::SweepExpansion expansion_;
  int local_errors_ = 0;   // field text that could not even become a value
  QPointer<LaunchQueue> queue_;
  std::vector<remote::Target> targets_;   // "local" always among them
  bool targets_loaded_ = false;
  QFileSystemWatcher* settings_watcher_ = nullptr;
  QPointer<SshLaunch> ssh_launch_;
  QPointer<SlurmLaunch> slurm_launch_;
};

}  // namespace orrery::panels
