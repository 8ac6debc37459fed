#include "remote/target.hpp"

#include <algorithm>
#include <set>

namespace orrery::remote {

namespace {

using nlohmann::json;

bool alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_target_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

// Slurm partition, account and QoS names; environment module names (with '/', '+').
bool valid_slurm_word(std::string_view w, std::string_view extra = "") {
  if (w.empty() || w.size() > 128 || !alnum(w[0])) return false;
  return std::all_of(w.begin(), w.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-' || extra.find(c) != std::string_view::npos; });
}

// Slurm time limits: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS", or "UNLIMITED".
bool valid_time_limit(std::string_view t) {
  if (t == "UNLIMITED" || t == "infinite") return true;
  if (t.empty() || t.size() > 16 || t.front() == ':' || t.front() == '-' || t.back() == ':' || t.back() == '-') return false;
  int dashes = 0, colons = 0;
  for (char c : t) {
    if (c == '-') { if (++dashes > 1 || colons) return false; }
    else if (c == ':') { if (++colons > 2) return false; }
    else if (c < '0' || c > '9') return false;
  }
  return true;
}

// A local path handed to ssh inside an -o option value: ssh splits those at whitespace and quotes.
bool valid_option_path(std::string_view p) {
  return !p.empty() && std::none_of(p.begin(), p.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

bool no_control_chars(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Reads the fields of one target object, reporting each problem with its path.
class FieldReader {
 public:
  FieldReader(const json& object, std::string path, std::vector<spec::Issue>& issues)
      : object_(object), path_(std::move(path)), issues_(issues) {}

  void error(const std::string& field, const std::string& message) {
    issues_.push_back({field.empty() ? path_ : path_ + "." + field, message});
    failed_ = true;
  }
  bool failed() const { return failed_; }

  void allow_only(std::initializer_list<std::string_view> keys) {
    for (const auto& item : object_.items())
      if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
        std::string allowed;
        for (auto k : keys) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        error(item.key(), "unknown key (allowed: " + allowed + ")");
      }
  }

  // Reads a string field when present and accepted by check; returns whether it was present.
  template <typename Check>
  bool string(const char* field, std::string& into, Check check, const std::string& rule) {
    auto it = object_.find(field);
    if (it == object_.end()) return false;
    if (!it->is_string()) { error(field, "expected a string"); return true; }
    const auto& s = it->get_ref<const std::string&>();
    if (!check(s)) error(field, "invalid value " + json(s).dump() + ": " + rule);
    else into = s;
    return true;
  }

  void integer(const char* field, int& into, int lo, int hi) {
    auto it = object_.find(field);
    if (it == object_.end()) return;
    if (!it->is_number_integer() || it->get<long long>() < lo || it->get<long long>() > hi)
      error(field, "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    else into = it->get<int>();
  }

  template <typename Check>
  void string_list(const char* field, std::vector<std::string>& into, Check check, const std::string& rule) {
    auto it = object_.find(field);
    if (it == object_.end()) return;
    if (!it->is_array()) { error(field, "expected a list of strings"); return; }
    std::vector<std::string> values;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& v = (*it)[i];
      std::string at = std::string(field) + "[" + std::to_string(i) + "]";
      if (!v.is_string()) error(at, "expected a string");
      else if (!check(v.get_ref<const std::string&>())) error(at, "invalid value " + v.dump() + ": " + rule);
      else values.push_back(v.get<std::string>());
    }
    into = std::move(values);
  }

 private:
  const json& object_;
  std::string path_;
  std::vector<spec::Issue>& issues_;
  bool failed_ = false;
};

const std::string kHostRule = "letters, digits, '.', '-', '_' and ':' only, not starting with '-'";
const std::string kRankInterfaceRule = "an interface name or address (eth0, 10.0.0.5, *): letters, digits, "
                                       "'.', ':', '_', '-', '*', '[', ']', not starting with '-'";
const std::string kUserRule = "letters, digits, '.', '_' and '-' only (at most 32), not starting with '-'";

void read_ssh(FieldReader& r, SshTarget& t) {
  r.allow_only({"type", "host", "port", "user", "identity_file", "known_hosts_file", "work_dir", "mpirun", "mpirun_args",
                "hosts", "control_persist_s", "rank_interface"});
  if (!r.string("host", t.host, valid_host, kHostRule)) r.error("host", "required: the host name or address to reach");
  r.integer("port", t.port, 1, 65535);
  r.string("user", t.user, valid_user, kUserRule);
  r.string("identity_file", t.identity_file, valid_option_path, "a path without spaces, quotes or control characters");
  r.string("known_hosts_file", t.known_hosts_file, valid_option_path, "a path without spaces, quotes or control characters");
  r.string("work_dir", t.work_dir, [](const std::string& s) { return !s.empty() && no_control_chars(s); },
           "a non-empty path without control characters");
  r.string("mpirun", t.mpirun, [](const std::string& s) { return !s.empty() && s[0] != '-' && no_control_chars(s); },
           "a program name or path");
  r.string_list("mpirun_args", t.mpirun_args, [](const std::string& s) { return no_control_chars(s); },
                "no control characters");
  r.string_list("hosts", t.hosts, valid_host, kHostRule);
  r.integer("control_persist_s", t.control_persist_s, 0, 86400);
  r.string("rank_interface", t.rank_interface, valid_rank_interface, kRankInterfaceRule);
}

void read_slurm(FieldReader& r, SlurmTarget& t) {
  r.allow_only({"type", "via", "partition", "account", "qos", "time", "nodes", "tasks_per_node", "gpus_per_node",
                "extra_sbatch", "modules", "launcher", "rank_interface"});
  r.string("via", t.via, valid_target_name, "the name of an ssh target");
  const std::string word_rule = "letters, digits, '.', '_' and '-' only, starting with a letter or digit";
  r.string("partition", t.partition, [](const std::string& s) { return valid_slurm_word(s); }, word_rule);
  r.string("account", t.account, [](const std::string& s) { return valid_slurm_word(s); }, word_rule);
  r.string("qos", t.qos, [](const std::string& s) { return valid_slurm_word(s); }, word_rule);
  r.string("time", t.time, valid_time_limit, "a Slurm time limit such as 30, 01:00:00 or 2-00:00:00");
  r.integer("nodes", t.nodes, 1, 100000);
  r.integer("tasks_per_node", t.tasks_per_node, 0, 100000);
  r.integer("gpus_per_node", t.gpus_per_node, 0, 1024);
  r.string_list("extra_sbatch", t.extra_sbatch,
                [](const std::string& s) { return s.size() > 2 && s.rfind("--", 0) == 0 && no_control_chars(s); },
                "one sbatch option per element, starting with --");
  r.string_list("modules", t.modules, [](const std::string& s) { return valid_slurm_word(s, "/+"); },
                "a module name: letters, digits, '.', '_', '-', '/', '+'");
  r.string("launcher", t.launcher, [](const std::string& s) { return s == "srun" || s == "mpirun"; },
           "srun (srun --mpi=pmix) or mpirun");
  r.string("rank_interface", t.rank_interface, valid_rank_interface, kRankInterfaceRule);
}

}  // namespace

std::string describe_location(const Target& t) {
  switch (t.type) {
    case TargetType::Local: return "this machine";
    case TargetType::Ssh:
      return (t.ssh.user.empty() ? "" : t.ssh.user + "@") + t.ssh.host + (t.ssh.port ? ":" + std::to_string(t.ssh.port) : "") +
             "  " + t.ssh.work_dir;
    case TargetType::Slurm:
      return (t.slurm.via.empty() ? std::string("local") : "via " + t.slurm.via) +
             (t.slurm.partition.empty() ? "" : "  partition " + t.slurm.partition);
  }
  return {};
}

std::string to_string(TargetType type) {
  switch (type) {
    case TargetType::Local: return "local";
    case TargetType::Ssh: return "ssh";
    case TargetType::Slurm: return "slurm";
  }
  return "?";
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host[0] == '-') return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return alnum(c) || c == '.' || c == '-' || c == '_' || c == ':'; });
}

bool valid_rank_interface(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return alnum(c) || c == '.' || c == ':' || c == '_' || c == '-' || c == '*' || c == '[' || c == ']';
  });
}

bool valid_user(std::string_view user) {
  if (user.empty() || user.size() > 32 || user[0] == '-') return false;
  return std::all_of(user.begin(), user.end(), [](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::vector<Target> parse_targets(const nlohmann::json& settings, std::vector<spec::Issue>* issues) {
  std::vector<spec::Issue> local_issues;
  auto& out_issues = issues ? *issues : local_issues;
  std::vector<Target> targets;
  bool have_local = false;
  auto it = settings.find("targets");
  if (it != settings.end() && !it->is_object()) {
    out_issues.push_back({"$.targets", "expected an object of target name -> settings"});
  } else if (it != settings.end()) {
    for (const auto& item : it->items()) {
      const std::string path = "$.targets." + item.key();
      if (!valid_target_name(item.key())) {
        out_issues.push_back({path, "invalid target name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"});
        continue;
      }
      if (!item.value().is_object()) {
        out_issues.push_back({path, "expected an object with a \"type\" (local, ssh or slurm)"});
        continue;
      }
      FieldReader r(item.value(), path, out_issues);
      Target t;
      t.name = item.key();
      std::string type;
      r.string("type", type, [](const std::string& s) { return s == "local" || s == "ssh" || s == "slurm"; },
               "one of local, ssh, slurm");
      if (type == "local") {
        t.type = TargetType::Local;
        r.allow_only({"type"});
      } else if (type == "ssh") {
        t.type = TargetType::Ssh;
        read_ssh(r, t.ssh);
      } else if (type == "slurm") {
        t.type = TargetType::Slurm;
        read_slurm(r, t.slurm);
      } else if (!r.failed()) {
        r.error("type", "required: local, ssh or slurm");
      }
      if (r.failed()) continue;
      have_local = have_local || t.name == "local";
      targets.push_back(std::move(t));
    }
  }
  // A Slurm target reached over SSH names an ssh target of the same file.
  for (auto t = targets.begin(); t != targets.end();) {
    if (t->type == TargetType::Slurm && !t->slurm.via.empty()) {
      auto via = find_target(targets, t->slurm.via);
      if (!via || via->type != TargetType::Ssh) {
        out_issues.push_back({"$.targets." + t->name + ".via", "\"" + t->slurm.via + "\" is not an ssh target of this project"});
        t = targets.erase(t);
        continue;
      }
    }
    ++t;
  }
  if (!have_local) targets.insert(targets.begin(), Target{"local", TargetType::Local, {}, {}});
  return targets;
}

std::optional<Target> find_target(const std::vector<Target>& targets, std::string_view name) {
  for (const auto& t : targets)
    if (t.name == name) return t;
  return std::nullopt;
}

}  // namespace orrery::remote
