#include "remote/slurm_launcher.hpp"

#include "launch/starting_record.hpp"
#include "orrery/runtime.hpp"
#include "remote/slurm_script.hpp"
#include "spec/render_command.hpp"

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace orrery::remote {

namespace {

// The last lines of a text file (Slurm's output of the batch script).
std::string tail_of(const fs::path& file, std::size_t count) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > count) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

void settle(const fs::path& run_dir, runfiles::RunStatus status, const std::string& reason) {
  auto record = runfiles::read_run_record(run_dir);
  if (record.status != runfiles::RunStatus::Starting) return;   // the agent took the run over: its verdict stands
  record.status = status;
  record.reason = reason;
  record.ended = orrery::now();
  runfiles::write_run_record(run_dir, record);
}

}  // namespace

SlurmBatch prepare_slurm(const runfiles::Project& project, const spec::KindSchema& kind, const std::vector<spec::Spec>& specs,
                         const launch::InstallPaths& paths, const Target& target) {
  if (target.type != TargetType::Slurm) throw std::invalid_argument("target " + target.name + " is not a Slurm target");
  if (!target.slurm.via.empty())
    throw std::runtime_error("target " + target.name + " reaches Slurm through \"" + target.slurm.via +
                             "\": launching through an ssh login node is not available yet (local Slurm only)");
  if (specs.empty()) throw std::invalid_argument("nothing to launch");
  SlurmBatch batch;
  batch.target = target.name;
  std::vector<runfiles::RunRecord> records;
  for (const auto& spec : specs) {
    auto id = runfiles::make_run_id(project, spec.name.empty() ? kind.name : spec.name);
    auto dir = runfiles::run_path(project, id);
    fs::create_directories(dir / "logs");   // now, so the next run of a sweep gets another id
    auto record = launch::starting_record(id, kind, spec, target.name,
                                          spec::render_command(kind, spec, {paths.bin_dir, paths.share_dir, project.root, dir}));
    record.scheduler = "slurm";
    records.push_back(std::move(record));
    batch.run_ids.push_back(id);
    batch.run_dirs.push_back(dir);
  }
  BatchScriptInput in;
  in.ranks = specs.front().ranks;
  in.agent = (paths.bin_dir / "orrery-agent").string();
  for (const auto& d : batch.run_dirs) in.run_dirs.push_back(d.string());
  batch.script = sbatch_script(target.slurm, in);
  // Output of the batch script (the agent's own lines): in the run's folder, or the first run's for an array.
  const fs::path out = batch.run_dirs.front() / "logs" / (batch.run_ids.size() > 1 ? "slurm-%A_%a.out" : "slurm-%j.out");
  batch.sbatch_args = {"--job-name=orrery-" + (specs.front().name.empty() ? kind.name : specs.front().name),
                       "--output=" + out.string(), "--chdir=" + batch.run_dirs.front().string()};
  for (std::size_t i = 0; i < records.size(); ++i) {
    runfiles::write_file_atomically(batch.run_dirs[i] / "job.sh", batch.script);
    runfiles::write_run_record(batch.run_dirs[i], records[i]);
  }
  return batch;
}

void submit_slurm(SlurmBatch& batch, const SlurmCommands& slurm) {
  try {
    batch.job_id = slurm.submit(batch.sbatch_args, (batch.run_dirs.front() / "job.sh").string());
  } catch (const SlurmError& e) {
    for (const auto& d : batch.run_dirs) settle(d, runfiles::RunStatus::Failed, e.what());
    throw;
  }
  for (std::size_t i = 0; i < batch.run_dirs.size(); ++i)
    write_slurm_record(batch.run_dirs[i], {batch.target, batch.job_of(i), {}, orrery::now()});
}

std::optional<SlurmJobRecord> read_slurm_record(const fs::path& run_dir) {
  std::ifstream in(run_dir / "slurm.json");
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("job") || !j["job"].is_string()) return std::nullopt;
  SlurmJobRecord r;
  r.target = j.value("target", "");
  r.job = j["job"].get<std::string>();
  if (!valid_job_id(r.job)) return std::nullopt;
  r.last.job_id = r.job;
  r.last.state = j.value("state", "");
  r.last.reason = j.value("reason", "");
  r.last.nodes = j.value("nodes", "");
  r.last.exit_code = j.value("exit_code", "");
  r.updated = j.value("updated", 0.0);
  return r;
}

void write_slurm_record(const fs::path& run_dir, const SlurmJobRecord& r) {
  nlohmann::json j = {{"target", r.target},        {"job", r.job},           {"state", r.last.state},
                      {"reason", r.last.reason},   {"nodes", r.last.nodes},  {"exit_code", r.last.exit_code},
                      {"updated", r.updated}};
  runfiles::write_file_atomically(run_dir / "slurm.json", j.dump(2) + "\n");
}

std::optional<SlurmJobState> refresh_slurm_run(const fs::path& run_dir, const SlurmCommands& slurm) {
  auto record = read_slurm_record(run_dir);
  if (!record) throw SlurmError("no Slurm job recorded in " + (run_dir / "slurm.json").string());
  auto state = slurm.query(record->job);
  if (state) {
    record->last = *state;
    record->updated = orrery::now();
    write_slurm_record(run_dir, *record);
  }
  if (state && !state->ended()) return state;
  // The job is over. If its agent never took the run over, Slurm's word is the verdict.
  const std::string job = "Slurm job " + record->job;
  if (state && state->state == "CANCELLED") {
    settle(run_dir, runfiles::RunStatus::Cancelled, job + " was cancelled before orrery-agent started (" + state->describe() + ")");
  } else {
    std::string output = tail_of(run_dir / "logs" / "agent.log", 8);
    for (const auto& f : fs::directory_iterator(run_dir / "logs"))
      if (f.path().filename().string().rfind("slurm-", 0) == 0) output += tail_of(f.path(), 4);
    settle(run_dir, runfiles::RunStatus::Failed,
           job + (state ? " ended " + state->describe() : std::string(" is no longer known to Slurm")) +
               " before orrery-agent started" + (output.empty() ? "" : "; its output:\n" + output));
  }
  return state;
}

}  // namespace orrery::remote
