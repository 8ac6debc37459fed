#include "launch/launch_panel.hpp"

#include "launch/form_text.hpp"

#include <QComboBox>
#include <QDialog>
#include <QFileSystemWatcher>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

#include "launch/launch_queue.hpp"
#include "launch/param_editor.hpp"
#include "launch/remote_run_keeper.hpp"
#include "launch/slurm_job_keeper.hpp"
#include "launch/slurm_launch.hpp"
#include "launch/ssh_launch.hpp"

namespace orrery::panels {

using nlohmann::json;

namespace {

using form_text::qs;
using form_text::kInvalidStyle;

constexpr int kDefaultConcurrency = 2;

struct LoadedKinds {
  spec::KindCatalog catalog;
  QString problems;
};

// The installed kinds, then the project's own (which may override them), as the CLI reads them.
LoadedKinds load_kinds(const launch::InstallPaths& paths, const runfiles::Project& project) {
  std::vector<spec::Issue> problems;
  LoadedKinds out{spec::KindCatalog::load({paths.share_dir / "kinds", project.kinds_dir()}, &problems), {}};
  for (const auto& p : problems) out.problems += qs("job kind skipped: " + spec::to_string(p)) + '\n';
  out.problems = out.problems.trimmed();
  return out;
}

struct LoadedTargets {
  std::vector<remote::Target> targets;
  QString problems;
};

// orrery.json read again (it may have changed since the project was opened), its targets as the CLI parses them.
LoadedTargets load_project_targets(const std::filesystem::path& root) {
  LoadedTargets out;
  std::vector<spec::Issue> issues;
  try {
    out.targets = remote::parse_targets(runfiles::open_project(root, false).settings, &issues);
  } catch (const std::exception& e) {
    out.targets = remote::parse_targets(nlohmann::json::object(), nullptr);
    out.problems = qs(std::string("orrery.json: ") + e.what());
  }
  for (const auto& i : issues) out.problems += qs("orrery.json: " + spec::to_string(i) + " (target skipped)") + '\n';
  out.problems = out.problems.trimmed();
  return out;
}

QStringList split_tags(const QString& text) {
  QStringList tags;
  for (const auto& t : text.split(','))
    if (!t.trimmed().isEmpty()) tags << t.trimmed();
  return tags;
}

QString describe_assignment(const json& assignment) {
  QStringList parts;
  for (const auto& item : assignment.items())
    parts << qs(item.key()) + '=' + qs(item.value().is_string() ? item.value().get<std::string>() : item.value().dump());
  return parts.join(QStringLiteral(", "));
}

// The field a validation error belongs to: "$.params.x[2]" → ("x", "[2]"),
// top-level keys → their own path, anything else → "$" (the form as a whole).
struct FieldOfPath {
  std::string param;     // set for parameters
  std::string key;       // "$.name", "$.tags", ... or "$"
  std::string suffix;    // element path inside the value
};
FieldOfPath field_of(const std::string& path) {
  const std::string params = "$.params.";
  if (path.rfind(params, 0) == 0) {
    auto rest = path.substr(params.size());
    auto bracket = rest.find('[');
    return {rest.substr(0, bracket), {}, bracket == std::string::npos ? std::string() : rest.substr(bracket)};
  }
  for (const char* key : {"$.name", "$.tags", "$.ranks", "$.kind", "$.target"})
    if (path.rfind(key, 0) == 0) return {{}, key, {}};
  return {{}, "$", {}};
}

}  // namespace

LaunchPanel::LaunchPanel(const runfiles::Project& project, const launch::InstallPaths& paths, QWidget* parent)
    : QWidget(parent), project_(project), paths_(paths) {
  build_ui();
  auto* watcher = new QFutureWatcher<LoadedKinds>(this);
  connect(watcher, &QFutureWatcher<LoadedKinds>::finished, this, [this, watcher] {
    LoadedKinds loaded = watcher->result();
    watcher->deleteLater();
    on_kinds_loaded(std::move(loaded.catalog), loaded.problems);
  });
  watcher->setFuture(QtConcurrent::run(load_kinds, paths_, project_));
  settings_watcher_ = new QFileSystemWatcher(this);
  connect(settings_watcher_, &QFileSystemWatcher::fileChanged, this, &LaunchPanel::load_targets);
  load_targets();
}

void LaunchPanel::load_targets() {
  const QString settings = qs((project_.root / "orrery.json").string());
  // An editor that replaces the file drops it from the watch: watch it again.
  if (!settings_watcher_->files().contains(settings)) settings_watcher_->addPath(settings);
  auto* watcher = new QFutureWatcher<LoadedTargets>(this);
  connect(watcher, &QFutureWatcher<LoadedTargets>::finished, this, [this, watcher] {
    LoadedTargets loaded = watcher->result();
    watcher->deleteLater();
    on_targets_loaded(std::move(loaded.targets), loaded.problems);
  });
  watcher->setFuture(QtConcurrent::run(load_project_targets, project_.root));
}

void LaunchPanel::on_targets_loaded(std::vector<remote::Target> targets, const QString& problems) {
  const QString chosen = target_->currentData().toString();
  targets_ = std::move(targets);
  {
    QSignalBlocker block(target_);
    target_->clear();
    for (const auto& t : targets_)
      target_->addItem(qs(t.name + "  (" + remote::to_string(t.type) + ": " + remote::describe_location(t) + ")"), qs(t.name));
    const int again = target_->findData(chosen.isEmpty() ? QStringLiteral("local") : chosen);
    target_->setCurrentIndex(again >= 0 ? again : target_->findData(QStringLiteral("local")));
  }
  targets_loaded_ = true;
  if (!problems.isEmpty()) launch_status_->setText(problems);
  revalidate();
  emit targetsReady();
}

const remote::Target* LaunchPanel::chosen_target() const {
  const std::string name = target_->currentData().toString().toStdString();
  for (const auto& t : targets_)
    if (t.name == name) return &t;
  return nullptr;
}

void LaunchPanel::build_ui() {
  auto* column = new QVBoxLayout(this);
  auto* top = new QFormLayout;
  column->addLayout(top);
  // A field with its red message line under it.
  auto add_field = [&](const QString& label, QWidget* field, const std::string& key) {
    auto* box = new QWidget(this);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    v->addWidget(field);
    auto* message = new QLabel(box);
    message->setObjectName(qs("error:" + key));
    message->setStyleSheet(QStringLiteral("color: #d32f2f;"));
    message->setWordWrap(true);
    message->setVisible(false);
    v->addWidget(message);
    field_messages_[key] = message;
    field_widgets_[key] = field;
    top->addRow(label, box);
  };

  kind_ = new QComboBox(this);
  kind_->setObjectName(QStringLiteral("kind"));
  kind_->setPlaceholderText(QStringLiteral("reading job kinds..."));
  add_field(QStringLiteral("Job kind"), kind_, "$.kind");
  description_ = new QLabel(this);
  description_->setObjectName(QStringLiteral("description"));
  description_->setWordWrap(true);
  top->addRow(description_);
  name_ = new QLineEdit(this);
  name_->setObjectName(QStringLiteral("name"));
  name_->setToolTip(QStringLiteral("1 to 64 letters, digits, '.', '_' or '-'; empty: the kind's name"));
  add_field(QStringLiteral("Run name"), name_, "$.name");
  tags_ = new QLineEdit(this);
  tags_->setObjectName(QStringLiteral("tags"));
  tags_->setPlaceholderText(QStringLiteral("comma-separated, e.g. baseline, lr=3e-4"));
  add_field(QStringLiteral("Tags"), tags_, "$.tags");
  ranks_ = new QSpinBox(this);
  ranks_->setObjectName(QStringLiteral("ranks"));
  ranks_->setToolTip(QStringLiteral("Number of MPI ranks"));
  add_field(QStringLiteral("Ranks"), ranks_, "$.ranks");
  target_ = new QComboBox(this);
  target_->setObjectName(QStringLiteral("target"));
  target_->setToolTip(QStringLiteral("Where the run goes: the targets of the project's orrery.json (cluster panel)"));
  // "local" at once (it always exists); the project's other targets once orrery.json has been read.
  targets_ = remote::parse_targets(nlohmann::json::object(), nullptr);
  for (const auto& t : targets_) target_->addItem(qs(t.name), qs(t.name));
  add_field(QStringLiteral("Target"), target_, "$.target");

  auto* group = new QGroupBox(QStringLiteral("Parameters  (* required; hover a name for help)"), this);
  auto* group_layout = new QVBoxLayout(group);
  auto* scroll = new QScrollArea(group);
  scroll->setWidgetResizable(true);
  params_box_ = new QWidget(scroll);
  params_form_ = new QFormLayout(params_box_);
  scroll->setWidget(params_box_);
  group_layout->addWidget(scroll);
  column->addWidget(group, 1);

  auto* sweep_row = new QHBoxLayout;
  run_count_ = new QLabel(this);
  run_count_->setObjectName(QStringLiteral("runCount"));
  sweep_row->addWidget(run_count_, 1);
  sweep_row->addWidget(new QLabel(QStringLiteral("at most"), this));
  concurrency_ = new QSpinBox(this);
  concurrency_->setObjectName(QStringLiteral("concurrency"));
  concurrency_->setRange(1, 64);
  concurrency_->setValue(kDefaultConcurrency);
  concurrency_->setToolTip(QStringLiteral("How many runs of a sweep may run at once; the next starts when one ends"));
  sweep_row->addWidget(concurrency_);
  sweep_row->addWidget(new QLabel(QStringLiteral("running at once"), this));
  column->addLayout(sweep_row);

  auto* general = new QLabel(this);
  general->setObjectName(QStringLiteral("error:$"));
  general->setStyleSheet(QStringLiteral("color: #d32f2f;"));
  general->setWordWrap(true);
  general->setVisible(false);
  field_messages_["$"] = general;
  column->addWidget(general);

  auto* actions = new QHBoxLayout;
  launch_button_ = new QPushButton(QStringLiteral("Launch"), this);
  launch_button_->setObjectName(QStringLiteral("launch"));
  launch_button_->setEnabled(false);
  cancel_button_ = new QPushButton(QStringLiteral("Cancel pending"), this);
  cancel_button_->setObjectName(QStringLiteral("cancel"));
  cancel_button_->setToolTip(QStringLiteral("Drop the launches not yet started; runs already started go on"));
  cancel_button_->setEnabled(false);
  progress_ = new QProgressBar(this);
  progress_->setObjectName(QStringLiteral("progress"));
  progress_->setFormat(QStringLiteral("%v of %m launched"));
  progress_->setVisible(false);
  launch_status_ = new QLabel(this);
  launch_status_->setObjectName(QStringLiteral("launchStatus"));
  launch_status_->setWordWrap(true);
  actions->addWidget(launch_button_);
  actions->addWidget(cancel_button_);
  actions->addWidget(progress_, 1);
  column->addLayout(actions);
  column->addWidget(launch_status_);

  connect(kind_, &QComboBox::currentIndexChanged, this, &LaunchPanel::on_kind_changed);
  connect(name_, &QLineEdit::textChanged, this, &LaunchPanel::revalidate);
  connect(tags_, &QLineEdit::textChanged, this, &LaunchPanel::revalidate);
  connect(ranks_, &QSpinBox::valueChanged, this, &LaunchPanel::revalidate);
  connect(target_, &QComboBox::currentIndexChanged, this, &LaunchPanel::revalidate);
  connect(launch_button_, &QPushButton::clicked, this, &LaunchPanel::launch);
  connect(cancel_button_, &QPushButton::clicked, this, &LaunchPanel::cancelPendingLaunches);
}

void LaunchPanel::on_kinds_loaded(spec::KindCatalog catalog, const QString& problems) {
  catalog_ = std::move(catalog);
  kinds_loaded_ = true;
  kind_->setPlaceholderText(catalog_.kinds().empty() ? QStringLiteral("no job kinds installed") : QString());
  {
    QSignalBlocker block(kind_);
    for (const auto& k : catalog_.kinds()) kind_->addItem(qs(k.title.empty() ? k.name : k.title), qs(k.name));
  }
  if (!problems.isEmpty()) launch_status_->setText(problems);
  on_kind_changed();
  emit kindsReady();
  if (run_waiting_for_kinds_)
    fill_from_run(*std::exchange(run_waiting_for_kinds_, std::nullopt), std::exchange(resume_waiting_for_kinds_, std::nullopt));
}

void LaunchPanel::on_kind_changed() {
  while (params_form_->rowCount() > 0) params_form_->removeRow(0);
  editors_.clear();
  const spec::KindSchema* kind = catalog_.find(kind_->currentData().toString().toStdString());
  if (kind) {
    description_->setText(qs(kind->description));
    name_->setPlaceholderText(qs(kind->name));
    {
      QSignalBlocker block(ranks_);
      ranks_->setRange(kind->min_ranks, kind->max_ranks);
      ranks_->setValue(kind->default_ranks);
    }
    for (const auto& p : kind->params) {
      auto* editor = new ParamEditor(p, params_box_);
      auto* label = new QLabel(qs(p.name) + (p.required() ? QStringLiteral(" *") : QString()), params_box_);
      label->setObjectName(qs("label:" + p.name));
      label->setToolTip(qs(p.help));
      params_form_->addRow(label, editor);
      editors_.push_back(editor);
      connect(editor, &ParamEditor::edited, this, &LaunchPanel::revalidate);
    }
  } else {
    description_->clear();
  }
  revalidate();
}

json LaunchPanel::form_document(std::vector<spec::SweepAxis>* axes) {
  json doc = {{"kind", kind_->currentData().toString().toStdString()},
              // The spec names no remote target (validate_spec knows only "local"): the chosen target
              // decides how it is launched, and the run's record names it, as with `orrery run --target`.
              {"target", std::string(spec::kKnownTargets[0])},
              {"ranks", ranks_->value()},
              {"params", json::object()}};
  if (!name_->text().isEmpty()) doc["name"] = name_->text().toStdString();
  json tags = json::array();
  for (const auto& t : split_tags(tags_->text())) tags.push_back(t.toStdString());
  doc["tags"] = tags;
  local_errors_ = 0;
  for (auto* editor : editors_) {
    const std::string& name = editor->param().name;
    QString problem;
    if (editor->sweeping()) {
      auto values = editor->sweepValues();
      if (values.ok()) axes->push_back({name, std::move(values.values)});
      else problem = qs(values.error);
    } else {
      auto reading = editor->value();
      if (reading.value) doc["params"][name] = *reading.value;
      problem = reading.error;
    }
    editor->setMessages(problem.isEmpty() ? QStringList() : QStringList{problem});
    if (!problem.isEmpty()) ++local_errors_;
  }
  return doc;
}

void LaunchPanel::revalidate() {
  for (auto& [key, label] : field_messages_) {
    label->clear();
    label->setVisible(false);
    if (auto it = field_widgets_.find(key); it != field_widgets_.end()) {
      it->second->setProperty("invalid", false);
      it->second->setStyleSheet(QString());
    }
  }
  if (!kinds_loaded_ || kind_->currentIndex() < 0) {
    expansion_ = {};
    update_launch_state();
    return;
  }
  std::vector<spec::SweepAxis> axes;
  json doc = form_document(&axes);
  expansion_ = spec::expand_sweep(doc, axes, catalog_);
  show_errors(expansion_.errors);
  if (expansion_.ok()) {
    const auto n = expansion_.specs.size();
    run_count_->setText(axes.empty() ? QStringLiteral("1 run") : QStringLiteral("%1 runs (sweep)").arg(n));
  } else {
    const auto n = spec::sweep_size(axes);
    run_count_->setText(axes.empty() ? QStringLiteral("fix the marked fields to launch")
                                     : QStringLiteral("sweep of %1 runs; fix the marked fields to launch").arg(n));
  }
  update_launch_state();
}

void LaunchPanel::show_errors(const std::vector<spec::Issue>& errors) {
  std::map<std::string, QStringList> by_param, by_key;
  for (const auto& e : errors) {
    auto field = field_of(e.path);
    QString message = field.suffix.empty() ? qs(e.message) : qs(field.suffix + ": " + e.message);
    if (!field.param.empty()) by_param[field.param] << message;
    else by_key[field.key] << message;
  }
  for (auto* editor : editors_) {
    auto it = by_param.find(editor->param().name);
    // A field whose text could not become a value already says why; the
    // validator's "missing" for the value it did not get would only repeat it.
    if (it == by_param.end() || !editor->messages().isEmpty()) continue;
    editor->setMessages(it->second);
    by_param.erase(it);
  }
  for (auto& [param, messages] : by_param)
    for (const auto& m : messages) by_key["$"] << qs(param) + QStringLiteral(": ") + m;
  for (auto& [key, messages] : by_key) {
    QLabel* label = field_messages_.count(key) ? field_messages_[key] : field_messages_["$"];
    label->setText((label->text().isEmpty() ? QString() : label->text() + '\n') + messages.join('\n'));
    label->setVisible(true);
    if (auto it = field_widgets_.find(key); it != field_widgets_.end()) {
      it->second->setProperty("invalid", true);
      it->second->setStyleSheet(QString::fromLatin1(kInvalidStyle));
    }
  }
}

void LaunchPanel::update_launch_state() {
  const bool remote_busy = remote_launch_running();
  const bool busy = (queue_ && !queue_->idle()) || remote_busy;
  launch_button_->setEnabled(isValid() && !busy && chosen_target());
  cancel_button_->setEnabled(remote_busy || (busy && queue_->started() + queue_->cancelled() < queue_->total()));
  if (queue_) {
    progress_->setVisible(true);
    progress_->setMaximum(queue_->total());
    progress_->setValue(queue_->launched());
  }
}

void LaunchPanel::launch() {
  if (!isValid() || (queue_ && !queue_->idle()) || remote_launch_running()) return;
  const spec::KindSchema* kind = catalog_.find(expansion_.specs.front().kind);
  const remote::Target* target = chosen_target();
  if (!target) return;
  if (target->type == remote::TargetType::Ssh) return launch_on_ssh(*kind, *target);
  if (target->type == remote::TargetType::Slurm) return launch_on_slurm(*kind, *target);
  std::vector<LaunchQueue::Item> items;
  for (std::size_t i = 0; i < expansion_.specs.size(); ++i)
    items.push_back({expansion_.specs[i], expansion_.assignments[i].empty() ? QString() : describe_assignment(expansion_.assignments[i])});
  if (queue_) queue_->deleteLater();
  queue_ = new LaunchQueue(project_, paths_, *kind, std::move(items), concurrency_->value(), this);
  connect(queue_, &LaunchQueue::runLaunched, this, &LaunchPanel::runLaunched);
  connect(queue_, &LaunchQueue::launchFailed, this, [this](const QString& message) {
    launch_status_->setText(message);
    emit launchFailed(message);
  });
  connect(queue_, &LaunchQueue::progressChanged, this, [this] {
    launch_status_->setText(QStringLiteral("%1 of %2 launched").arg(queue_->launched()).arg(queue_->total()) +
                            (queue_->cancelled() ? QStringLiteral(", %1 cancelled").arg(queue_->cancelled()) : QString()));
    update_launch_state();
  });
  connect(queue_, &LaunchQueue::finished, this, [this] {
    update_launch_state();
    emit launchesFinished();
  });
  queue_->start();
  update_launch_state();
}

void LaunchPanel::cancelPendingLaunches() {
  if (queue_) queue_->cancelPending();
  if (ssh_launch_) ssh_launch_->cancel();
}

bool LaunchPanel::remote_launch_running() const {
  return (ssh_launch_ && ssh_launch_->running()) || (slurm_launch_ && slurm_launch_->running());
}

void LaunchPanel::drop_idle_queue() {
  // launch() only starts a remote launch when the queue is idle; its "n of m launched" bar no longer applies.
  if (queue_) queue_->deleteLater();
  queue_ = nullptr;
  progress_->setVisible(false);
}

void LaunchPanel::remote_launch_failed(const QString& message) {
  launch_status_->setText(message);
  update_launch_state();
  emit launchFailed(message);
  emit launchesFinished();
}

void LaunchPanel::launch_on_slurm(const spec::KindSchema& kind, const remote::Target& target) {
  if (slurm_launch_) slurm_launch_->deleteLater();
  // A sweep: one job array (its script shown once, one submission), one keeper per run.
  slurm_launch_ = new SlurmLaunch({project_, paths_, kind, expansion_.specs, target}, this);
  drop_idle_queue();
  connect(slurm_launch_, &SlurmLaunch::progress, launch_status_, &QLabel::setText);
  connect(slurm_launch_, &SlurmLaunch::progress, this, &LaunchPanel::remoteProgress);
  connect(slurm_launch_, &SlurmLaunch::hostKeyAsked, this, &LaunchPanel::hostKeyAsked);
  connect(slurm_launch_, &SlurmLaunch::scriptShown, this, &LaunchPanel::sbatchScriptShown);
  connect(slurm_launch_, &SlurmLaunch::failed, this, &LaunchPanel::remote_launch_failed);
  connect(slurm_launch_, &SlurmLaunch::submitted, this, [this](const QString& runId, const QString& job, SlurmJobKeeper* keeper) {
    launch_status_->setText(QStringLiteral("run %1 submitted as slurm job %2").arg(runId, job));
    connect(keeper, &SlurmJobKeeper::stateChanged, this, [this, job](const QString& id, const QString& state) {
      launch_status_->setText(QStringLiteral("run %1, slurm job %2: %3").arg(id, job, state));
    });
    connect(keeper, &SlurmJobKeeper::handedOver, this, &LaunchPanel::follow_remote_run);   // via: mirrored once the agent runs
    connect(keeper, &SlurmJobKeeper::ended, this, &LaunchPanel::slurmJobEnded);
    emit runLaunched(runId);
  });
  connect(slurm_launch_, &SlurmLaunch::allSubmitted, this, [this](int runs) {
    if (runs > 1) launch_status_->setText(QStringLiteral("%1 runs submitted as one slurm job array").arg(runs));
    update_launch_state();
    emit launchesFinished();
  });
  slurm_launch_->start();
  update_launch_state();
}

void LaunchPanel::launch_on_ssh(const spec::KindSchema& kind, const remote::Target& target) {
  if (ssh_launch_) ssh_launch_->deleteLater();
  // A sweep: its runs started one after another over the one connection.
  ssh_launch_ = new SshLaunch({project_, paths_, kind, expansion_.specs, target}, this);
  drop_idle_queue();
  connect(ssh_launch_, &SshLaunch::progress, launch_status_, &QLabel::setText);
  connect(ssh_launch_, &SshLaunch::progress, this, &LaunchPanel::remoteProgress);
  connect(ssh_launch_, &SshLaunch::hostKeyAsked, this, &LaunchPanel::hostKeyAsked);
  connect(ssh_launch_, &SshLaunch::failed, this, &LaunchPanel::remote_launch_failed);
  connect(ssh_launch_, &SshLaunch::launched, this, [this](const QString& runId, RemoteRunKeeper* keeper) {
    follow_remote_run(runId, keeper);
    emit runLaunched(runId);
  });
  connect(ssh_launch_, &SshLaunch::allLaunched, this, [this] {
    update_launch_state();
    emit launchesFinished();
  });
  ssh_launch_->start();
  update_launch_state();
}

void LaunchPanel::follow_remote_run(const QString& runId, RemoteRunKeeper* keeper) {
  launch_status_->setText(QStringLiteral("run %1 launched; it is followed like a local run and copied back when it ends").arg(runId));
  connect(keeper, &RemoteRunKeeper::note, this, [this](const QString& id, const QString& line) {
    launch_status_->setText(QStringLiteral("run %1: %2").arg(id, line));
  });
  connect(keeper, &RemoteRunKeeper::copiedBackTo, this, [this](const QString& id) {
    launch_status_->setText(QStringLiteral("run %1 ended; its folder was copied back").arg(id));
    emit remoteRunCopiedBack(id);
  });
}

}  // namespace orrery::panels
