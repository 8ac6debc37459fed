#include "runs/run_scan.hpp"

#include "launch/local_launcher.hpp"
#include "remote/slurm_launcher.hpp"
#include "runfiles/annotations.hpp"

#include <algorithm>

namespace orrery::panels {

std::string experiment_of(const std::string& name, const std::vector<std::string>& tags) {
  static constexpr std::string_view kPrefix = "experiment:";
  for (const auto& tag : tags)
    if (tag.size() > kPrefix.size() && tag.compare(0, kPrefix.size(), kPrefix) == 0) return tag.substr(kPrefix.size());
  const auto cut = name.find_last_of("-_");
  if (cut != std::string::npos && cut > 0) return name.substr(0, cut);
  return name;
}

namespace {

// slurm.json, when the run went to Slurm. A damaged one leaves the Slurm fields empty but the run listed.
void read_slurm_job(const std::filesystem::path& run_dir, RunRow& row) {
  try {
    if (const auto job = remote::read_slurm_record(run_dir)) {
      row.slurm_target = job->target;
      row.slurm_job = job->job;
      row.slurm_state = job->last.state.empty() ? std::string() : job->last.describe();
      row.slurm_ended = job->last.ended();
    }
  } catch (const std::exception&) {
    // Being replaced, or not slurm.json as Orrery writes it: the run itself is still shown.
  }
}

}  // namespace

std::vector<RunRow> scan_runs(const runfiles::Project& project, const std::optional<std::vector<std::string>>& only) {
  std::vector<RunRow> rows;
  const auto ids = only ? *only : runfiles::list_run_ids(project);
  rows.reserve(ids.size());
  for (const auto& id : ids) {
    try {
      const auto record = runfiles::read_run_record(runfiles::run_path(project, id));
      const auto notes = runfiles::read_annotations(project, id);
      RunRow row;
      row.id = id;
      row.name = record.name;
      row.kind = record.kind;
      row.reason = record.reason;
      row.status = launch::observed_status(record);
      row.ranks = record.ranks;
      row.progress_done = record.progress_done;
      row.progress_total = record.progress_total;
      row.created = record.created;
      row.started = record.started;
      row.ended = record.ended;
      row.tags = record.tags;
      for (const auto& tag : notes.tags)
        if (std::find(row.tags.begin(), row.tags.end(), tag) == row.tags.end()) row.tags.push_back(tag);
      row.user_tags = notes.tags;
      row.notes = notes.notes;
      row.experiment = experiment_of(row.name.empty() ? id : row.name, row.tags);
      read_slurm_job(runfiles::run_path(project, id), row);
      rows.push_back(std::move(row));
    } catch (const std::exception&) {
      // run.json not written yet or unreadable: the next scan will see it.
    }
  }
  return rows;
}

}  // namespace orrery::panels
