// LaunchPanel, "duplicate as new launch": the form filled from an existing
// run's run.json (read off the UI thread), so that a run can be re-launched or
// varied. The validated spec in run.json is complete, so the form plans the
// very same spec back (tests/gui/launch/test_launch_runs.cpp checks it).
#include "launch/launch_panel.hpp"

#include "launch/form_text.hpp"

#include <QComboBox>
#include <QFutureWatcher>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#include "launch/param_editor.hpp"
#include "runfiles/run_record.hpp"

namespace orrery::panels {

using nlohmann::json;

namespace {

using form_text::qs;

struct RunSpecRead {
  json spec;
  QString error;
};

}  // namespace

void LaunchPanel::setFromRun(const QString& runId) { fill_from_run(runId, {}); }

void LaunchPanel::resumeFromCheckpoint(const QString& runId, const QString& checkpoint, int ranks) {
  fill_from_run(runId, ResumeFrom{checkpoint, ranks});
}

void LaunchPanel::fill_from_run(const QString& runId, const std::optional<ResumeFrom>& resume) {
  if (!kinds_loaded_) {
    run_waiting_for_kinds_ = runId;
    resume_waiting_for_kinds_ = resume;
    return;
  }
  auto* watcher = new QFutureWatcher<RunSpecRead>(this);
  connect(watcher, &QFutureWatcher<RunSpecRead>::finished, this, [this, watcher, runId, resume] {
    RunSpecRead read = watcher->result();
    watcher->deleteLater();
    if (!read.error.isEmpty()) {
      launch_status_->setText(QStringLiteral("cannot duplicate run %1: %2").arg(runId, read.error));
      return;
    }
    if (resume) {
      // Resuming: the same spec on the chosen number of ranks, from the checkpoint, when
      // the kind reads one (its "resume" parameter); else the form says it cannot.
      read.spec["ranks"] = resume->ranks;
      const spec::KindSchema* schema = catalog_.find(read.spec.value("kind", std::string()));
      const bool resumable = schema && std::any_of(schema->params.begin(), schema->params.end(),
                                                   [](const spec::ParamSchema& p) { return p.name == "resume"; });
      if (resumable) read.spec["params"]["resume"] = resume->checkpoint.toStdString();
      fill_from_spec(read.spec);
      launch_status_->setText(resumable ? QStringLiteral("resume run %1 from %2 on %3 ranks")
                                              .arg(runId, resume->checkpoint).arg(resume->ranks)
                                        : QStringLiteral("job kind of run %1 has no \"resume\" parameter: "
                                                         "the form is the run's spec on %2 ranks")
                                              .arg(runId).arg(resume->ranks));
      emit formFilledFromRun(runId);
      return;
    }
    fill_from_spec(read.spec);
    launch_status_->setText(QStringLiteral("form filled from run %1").arg(runId));
    emit formFilledFromRun(runId);
  });
  watcher->setFuture(QtConcurrent::run([project = project_, id = runId.toStdString()] {
    RunSpecRead out;
    try {
      out.spec = runfiles::read_run_record(runfiles::run_path(project, id)).spec;
    } catch (const std::exception& e) {
      out.error = QString::fromStdString(e.what());
    }
    return out;
  }));
}

void LaunchPanel::fill_from_spec(const json& spec) {
  const std::string kind = spec.value("kind", std::string());
  int index = kind_->findData(qs(kind));
  if (index < 0) {
    launch_status_->setText(QStringLiteral("job kind \"%1\" is not installed").arg(qs(kind)));
    return;
  }
  {
    QSignalBlocker block(kind_);
    kind_->setCurrentIndex(index);
  }
  on_kind_changed();   // a fresh form even when the kind was already selected
  QSignalBlocker block_name(name_), block_tags(tags_), block_ranks(ranks_), block_target(target_);
  name_->setText(qs(spec.value("name", std::string())));
  QStringList tags;
  if (spec.contains("tags") && spec["tags"].is_array())
    for (const auto& t : spec["tags"])
      if (t.is_string()) tags << qs(t.get<std::string>());
  tags_->setText(tags.join(QStringLiteral(", ")));
  if (spec.contains("ranks") && spec["ranks"].is_number_integer()) ranks_->setValue(spec["ranks"].get<int>());
  if (int t = target_->findData(qs(spec.value("target", std::string("local")))); t >= 0) target_->setCurrentIndex(t);
  const json params = spec.contains("params") && spec["params"].is_object() ? spec["params"] : json::object();
  for (auto* editor : editors_) {
    QSignalBlocker block(editor);
    if (auto it = params.find(editor->param().name); it != params.end()) editor->setValue(*it);
  }
  revalidate();
}

}  // namespace orrery::panels
