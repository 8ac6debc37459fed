// Labelled log lines for the template parser's tests and benchmark: lines in the style of
// HDFS, Spark, OpenSSH and Linux syslog, each generated from a known template with
// varied values, so the true template of every line is known; and the grouping accuracy
// of the Drain and Loghub papers, which scores a parse against that truth.
//
// A template is text with slots, "{int}", "{ip}", "{user}", ...; a format adds a header
// (timestamp, pid, host) before each. Templates are drawn with Zipf-like weights (the
// first of a format is the most common), as in real logs where a few messages dominate.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace orrery::test {

struct LogFormat {
  std::string name;
  std::string header;                  // slots allowed; prepended to every template
  std::vector<std::string> templates;  // the truth: a line's label is its index here
};

struct LabelledLine {
  std::string text;
  int truth;  // index into LogFormat::templates
};

inline const std::vector<LogFormat>& log_formats() {
  static const std::vector<LogFormat> formats = {
      {"HDFS",
       "{yymmdd} {hhmmss} {pid} ",
       {
           "INFO dfs.DataNode$PacketResponder: PacketResponder {small} for block blk_{blk} terminating",
           "INFO dfs.DataNode$PacketResponder: Received block blk_{blk} of size {bytes} from /{ip}",
           "INFO dfs.DataNode$DataXceiver: Receiving block blk_{blk} src: /{ip}:{port} dest: /{ip}:{port}",
           "INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:{port} is added to blk_{blk} size {bytes}",
           "INFO dfs.FSNamesystem: BLOCK* NameSystem.allocateBlock: /user/root/rand{small}/_temporary/_task_{digits}_{small}_m_{small}_{small}/part-{small} blk_{blk}",
           "INFO dfs.DataNode$DataXceiver: {ip}:{port} Served block blk_{blk} to /{ip}",
           "INFO dfs.FSDataset: Deleting block blk_{blk} file /mnt/hadoop/dfs/data/current/subdir{small}/blk_{blk}",
           "INFO dfs.FSNamesystem: BLOCK* NameSystem.delete: blk_{blk} is added to invalidSet of {ip}:{port}",
           "WARN dfs.DataNode$DataXceiver: {ip}:{port}:Got exception while serving blk_{blk} to /{ip}:",
           "INFO dfs.DataBlockScanner: Verification succeeded for blk_{blk}",
           "INFO dfs.DataNode: {ip}:{port} Starting thread to transfer block blk_{blk} to {ip}:{port}",
           "INFO dfs.DataNode$DataTransfer: {ip}:{port}:Transmitted block blk_{blk} to /{ip}:{port}",
           "INFO dfs.FSNamesystem: BLOCK* ask {ip}:{port} to delete blk_{blk} blk_{blk} blk_{blk}",
           "INFO dfs.DataNode$BlockReceiver: Exception in receiveBlock for block blk_{blk} java.io.IOException: Connection reset by peer",
           "WARN dfs.DataNode$DataXceiver: {ip}:{port}:DataXceiver: java.io.IOException: Block blk_{blk} is valid, and cannot be written to.",
           "INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request received for blk_{blk} on {ip}:{port} size {bytes}",
       }},
      {"Spark",
       "{yy/mm/dd} {hh:mm:ss} ",
       {
           "INFO executor.Executor: Running task {task} in stage {task} (TID {small})",
           "INFO executor.Executor: Finished task {task} in stage {task} (TID {small}). {bytes} bytes result sent to driver",
           "INFO storage.BlockManager: Found block rdd_{small}_{small} locally",
           "INFO storage.MemoryStore: Block broadcast_{small} stored as values in memory (estimated size {kb} KB, free {kb} KB)",
           "INFO storage.MemoryStore: Block broadcast_{small}_piece0 stored as bytes in memory (estimated size {kb} KB, free {kb} MB)",
           "INFO broadcast.TorrentBroadcast: Started reading broadcast variable {small}",
           "INFO broadcast.TorrentBroadcast: Reading broadcast variable {small} took {small} ms",
           "INFO storage.ShuffleBlockFetcherIterator: Getting {small} non-empty blocks out of {small} blocks",
           "INFO storage.ShuffleBlockFetcherIterator: Started {small} remote fetches in {small} ms",
           "INFO spark.MapOutputTrackerWorker: Don't have map outputs for shuffle {small}, fetching them",
           "INFO spark.MapOutputTrackerWorker: Doing the fetch; tracker endpoint = NettyRpcEndpointRef(spark://MapOutputTracker@{ip}:{port})",
           "INFO spark.MapOutputTrackerWorker: Got the output locations",
           "INFO python.PythonRunner: Times: total = {small}, boot = {small}, init = {small}, finish = {small}",
           "INFO spark.CacheManager: Partition rdd_{small}_{small} not found, computing it",
           "INFO executor.CoarseGrainedExecutorBackend: Got assigned task {small}",
           "INFO spark.SecurityManager: Changing view acls to: {user}",
           "INFO spark.SecurityManager: Changing modify acls to: {user}",
           "INFO executor.CoarseGrainedExecutorBackend: Connecting to driver: spark://CoarseGrainedScheduler@{ip}:{port}",
           "INFO storage.DiskBlockManager: Created local directory at /opt/hdfs/nodemanager/usercache/{user}/appcache/application_{digits}_{small}/blockmgr-{uuid}",
           "ERROR executor.CoarseGrainedExecutorBackend: RECEIVED SIGNAL 15: SIGTERM",
           "INFO util.ShutdownHookManager: Shutdown hook called",
       }},
      {"OpenSSH",
       "{mon} {day} {hh:mm:ss} LabSZ sshd[{pid}]: ",
       {
           "Failed password for {user} from {ip} port {port} ssh2",
           "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}",
           "Received disconnect from {ip}: 11: Bye Bye [preauth]",
           "Invalid user {user} from {ip}",
           "input_userauth_request: invalid user {user} [preauth]",
           "pam_unix(sshd:auth): check pass; user unknown",
           "Failed password for invalid user {user} from {ip} port {port} ssh2",
           "reverse mapping checking getaddrinfo for {host} [{ip}] failed - POSSIBLE BREAK-IN ATTEMPT!",
           "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}",
           "Connection closed by {ip} [preauth]",
           "Accepted password for {user} from {ip} port {port} ssh2",
           "pam_unix(sshd:session): session opened for user {user} by (uid=0)",
           "pam_unix(sshd:session): session closed for user {user}",
           "Did not receive identification string from {ip}",
           "PAM {small} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}",
           "Disconnecting: Too many authentication failures for {user} [preauth]",
           "message repeated {small} times: [ Failed password for {user} from {ip} port {port} ssh2]",
           "error: Received disconnect from {ip}: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]",
           "fatal: Read from socket failed: Connection reset by peer [preauth]",
           "Bad protocol version identification '{word}' from {ip} port {port}",
       }},
      {"Linux",
       "{mon} {day} {hh:mm:ss} combo ",
       {
           "sshd(pam_unix)[{pid}]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={host}",
           "sshd(pam_unix)[{pid}]: check pass; user unknown",
           "su(pam_unix)[{pid}]: session opened for user {user} by (uid=0)",
           "su(pam_unix)[{pid}]: session closed for user {user}",
           "ftpd[{pid}]: connection from {ip} ({host}) at {ctime}",
           "sshd(pam_unix)[{pid}]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={host}  user={user}",
           "xinetd[{pid}]: START: {service} pid={pid} from={ip}",
           "logrotate: ALERT exited abnormally with [1]",
           "cups: cupsd shutdown succeeded",
           "cups: cupsd startup succeeded",
           "syslog: syslogd startup succeeded",
           "kernel: usb {small}-{small}: new full speed USB device using uhci_hcd and address {small}",
           "kernel: Memory: {small}k/{small}k available ({small}k kernel code, {small}k reserved, {small}k data, {small}k init, {small}k highmem)",
           "snmpd[{pid}]: Received SNMP packet(s) from {ip}",
           "gdm(pam_unix)[{pid}]: authentication failure; logname= uid=0 euid=0 tty=:0 ruser= rhost=  user={user}",
           "crond(pam_unix)[{pid}]: session opened for user root by (uid=0)",
           "crond(pam_unix)[{pid}]: session closed for user root",
           "kernel: EXT3-fs: mounted filesystem with ordered data mode.",
           "named[{pid}]: lame server resolving '{host}' (in '{domain}'?): {ip}#53",
           "rpc.statd[{pid}]: Version 1.0.6 Starting",
       }},
  };
  return formats;
}

// Fills one slot with a random value of its kind.
class SlotValues {
 public:
  explicit SlotValues(std::uint32_t seed) : rng_(seed) {}

  std::string value(std::string_view slot) {
    if (slot == "small") return std::to_string(uniform(0, 999));
    if (slot == "digits") return std::to_string(uniform(100000000000LL, 999999999999LL));
    if (slot == "bytes") return std::to_string(uniform(1, 67108864));
    if (slot == "blk") return (uniform(0, 1) ? "-" : "") + std::to_string(uniform(1000000000000000000LL, 9223372036854775807LL));
    if (slot == "pid") return std::to_string(uniform(300, 32767));
    if (slot == "port") return std::to_string(uniform(1024, 65535));
    if (slot == "ip") return ip();
    if (slot == "task") return std::to_string(uniform(0, 400)) + "." + std::to_string(uniform(0, 3));
    if (slot == "kb") return std::to_string(uniform(1, 999)) + "." + std::to_string(uniform(0, 9));
    if (slot == "yymmdd") return two(uniform(8, 9)) + two(uniform(1, 12)) + two(uniform(1, 28));
    if (slot == "hhmmss") return two(uniform(0, 23)) + two(uniform(0, 59)) + two(uniform(0, 59));
    if (slot == "yy/mm/dd") return two(uniform(15, 17)) + "/" + two(uniform(1, 12)) + "/" + two(uniform(1, 28));
    if (slot == "hh:mm:ss") return two(uniform(0, 23)) + ":" + two(uniform(0, 59)) + ":" + two(uniform(0, 59));
    if (slot == "mon") return pick(kMonths);
    if (slot == "day") return std::to_string(uniform(1, 28));
    if (slot == "ctime") return pick(kWeekdays) + " " + pick(kMonths) + " " + two(uniform(1, 28)) + " " + value("hh:mm:ss") + " 2005";
    if (slot == "user") return pick(kUsers);
    if (slot == "host") return host();
    if (slot == "domain") return pick(kWords) + "." + pick(kTopLevel);
    if (slot == "service") return pick(kServices);
    if (slot == "word") return pick(kWords);
    if (slot == "uuid") return uuid();
    return "{" + std::string(slot) + "}";  // an unknown slot shows in the line, and the test's truth check fails
  }

 private:
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr std::string_view kWeekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kUsers[] = {"root",   "admin",  "test",  "guest", "oracle", "user",   "postgres", "ftpuser",
                                                "ubuntu", "pi",     "nagios", "git",  "mysql",  "support", "www",     "alice",
                                                "bob",    "hadoop", "spark", "curi",  "yarn",   "deploy", "jenkins",  "backup"};
  static constexpr std::string_view kWords[] = {"example", "cluster", "dialup", "static", "mail", "relay", "cable", "node",
                                                "gateway", "proxy",   "vps",    "cloud",  "edge", "core",  "srv",   "adsl"};
  static constexpr std::string_view kTopLevel[] = {"com", "net", "org", "cn", "de", "jp", "ru", "br"};
  static constexpr std::string_view kServices[] = {"telnet", "ftp", "rsync", "klogin", "kshell", "swat"};

  long long uniform(long long lo, long long hi) { return std::uniform_int_distribution<long long>(lo, hi)(rng_); }
  template <std::size_t N>
  std::string pick(const std::string_view (&words)[N]) {
    return std::string(words[static_cast<std::size_t>(uniform(0, N - 1))]);
  }
  static std::string two(long long v) { return (v < 10 ? "0" : "") + std::to_string(v); }
  std::string ip() {
    return std::to_string(uniform(1, 223)) + "." + std::to_string(uniform(0, 255)) + "." + std::to_string(uniform(0, 255)) +
           "." + std::to_string(uniform(1, 254));
  }
  // Host names as reverse DNS gives them: letters, digits and dashes, several labels.
  std::string host() {
    switch (uniform(0, 2)) {
      case 0: return pick(kWords) + "-" + std::to_string(uniform(1, 250)) + "." + pick(kWords) + "." + pick(kTopLevel);
      case 1: return std::to_string(uniform(1, 223)) + "-" + std::to_string(uniform(0, 255)) + "-" + std::to_string(uniform(0, 255)) +
                     "." + pick(kWords) + "." + pick(kTopLevel);
      default: return pick(kWords) + "." + pick(kWords) + "." + pick(kTopLevel);
    }
  }
  std::string uuid() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int group : {8, 4, 4, 4, 12}) {
      if (!out.empty()) out += '-';
      for (int i = 0; i < group; ++i) out += kHex[uniform(0, 15)];
    }
    return out;
  }

  std::mt19937_64 rng_;
};

// `pattern` with each {slot} filled.
inline std::string fill_slots(std::string_view pattern, SlotValues& values) {
  std::string out;
  std::size_t i = 0;
  for (std::size_t open; (open = pattern.find('{', i)) != std::string_view::npos;) {
    const std::size_t close = pattern.find('}', open);
    out += pattern.substr(i, open - i);
    out += values.value(pattern.substr(open + 1, close - open - 1));
    i = close + 1;
  }
  out += pattern.substr(i);
  return out;
}

// `count` lines of `format`, template k drawn with weight 1 / (k + 1).
inline std::vector<LabelledLine> generate_lines(const LogFormat& format, std::size_t count, std::uint32_t seed) {
  SlotValues values(seed);
  std::vector<double> weights;
  for (std::size_t k = 0; k < format.templates.size(); ++k) weights.push_back(1.0 / static_cast<double>(k + 1));
  std::discrete_distribution<int> which(weights.begin(), weights.end());
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  std::vector<LabelledLine> lines;
  lines.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int t = which(rng);
    lines.push_back({fill_slots(format.header, values) + fill_slots(format.templates[static_cast<std::size_t>(t)], values), t});
  }
  return lines;
}

// Grouping accuracy (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", 2019):
// a line is parsed correctly when the set of lines in its parsed group is exactly the set
// in its true group. Returns the share of lines parsed correctly.
inline double grouping_accuracy(std::span<const int> truth, std::span<const std::uint32_t> parsed) {
  if (truth.empty() || truth.size() != parsed.size()) return 0.0;
  std::unordered_map<int, std::size_t> true_size;
  std::unordered_map<std::uint32_t, std::size_t> parsed_size;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    ++true_size[truth[i]];
    ++parsed_size[parsed[i]];
  }
  // A parsed group is right when all its lines share one true template and it holds all of them.
  std::unordered_map<std::uint32_t, int> label;
  std::unordered_map<std::uint32_t, bool> pure;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    auto [it, first] = label.emplace(parsed[i], truth[i]);
    if (first) pure[parsed[i]] = true;
    if (it->second != truth[i]) pure[parsed[i]] = false;
  }
  std::size_t correct = 0;
  for (const auto& [group, size] : parsed_size)
    if (pure[group] && true_size[label[group]] == size) correct += size;
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

}  // namespace orrery::test
