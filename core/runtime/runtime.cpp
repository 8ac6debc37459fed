// The process-wide face of the runtime: free functions over one TelemetryClient,
// created by init() from the environment the agent sets for each rank.
#include "orrery/runtime.hpp"

#include "command_subscriber.hpp"
#include "name_table.hpp"
#include "telemetry_client.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace orrery {

namespace {

struct State {
  std::mutex mutex;
  bool initialised = false;
  int rank = 0;
  std::string run_dir;
  runtime::NameTable names;
  std::unique_ptr<runtime::TelemetryClient> client;
  std::unique_ptr<runtime::CommandSubscriber> commands;  // guarded by mutex
  std::atomic<runtime::TelemetryClient*> active{nullptr};
};

State& state() {
  static State* s = new State();  // never destroyed: calls may come from static destructors
  return *s;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return (end && *end == '\0' && x >= 0 && x < (1L << 30)) ? static_cast<int>(x) : fallback;
}

runtime::TelemetryClient* client() { return state().active.load(std::memory_order_acquire); }

// metric(name, ...) resolves its name on every call. A small per-thread cache, slotted by
// the caller's buffer (most often a string literal) and checked against a copy of the
// name, answers without the name table's lock and hash; a miss asks the table.
std::uint32_t cached_name_id(std::string_view name) {
  struct Entry {
    const char* data = nullptr;
    std::size_t size = 0;
    std::uint32_t id = 0;
    char copy[52] = {};
  };
  constexpr std::size_t kSlots = 64;
  thread_local Entry cache[kSlots];
  if (name.size() > sizeof(Entry::copy)) return state().names.intern(name);
  auto key = reinterpret_cast<std::uintptr_t>(name.data());
  Entry& e = cache[((key >> 3) ^ (key >> 11) ^ name.size()) % kSlots];
  if (e.data == name.data() && e.size == name.size() && std::memcmp(e.copy, name.data(), name.size()) == 0) return e.id;
  const std::uint32_t id = state().names.intern(name);
  e.data = name.data();
  e.size = name.size();
  e.id = id;
  std::memcpy(e.copy, name.data(), name.size());
  return id;
}

}  // namespace

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool init() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (s.initialised) return s.client != nullptr;
  s.initialised = true;
  s.rank = env_int("ORRERY_RANK", env_int("OMPI_COMM_WORLD_RANK", env_int("PMI_RANK", 0)));
  const char* endpoint = std::getenv("ORRERY_TELEMETRY");
  if (!endpoint || !*endpoint) {
    if (s.rank == 0)
      std::fprintf(stderr, "orrery: no agent (ORRERY_TELEMETRY is not set); telemetry is off for this process\n");
    return false;
  }
  if (const char* dir = std::getenv("ORRERY_RUN_DIR")) s.run_dir = dir;
  runtime::ClientOptions options;
  options.endpoint = endpoint;
  options.rank = s.rank;
  options.world_size = env_int("ORRERY_WORLD_SIZE", env_int("OMPI_COMM_WORLD_SIZE", 1));
  try {
    s.client = std::make_unique<runtime::TelemetryClient>(options, s.names);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orrery: cannot reach the agent at %s (%s); telemetry is off for this process\n", endpoint, e.what());
    return false;
  }
  s.active.store(s.client.get(), std::memory_order_release);
  // An agent older than the commands channel sets no ORRERY_COMMANDS: no requests then.
  if (const char* commands = std::getenv("ORRERY_COMMANDS"); commands && *commands) {
    try {
      s.commands = std::make_unique<runtime::CommandSubscriber>(commands);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "orrery: cannot listen to the agent's requests at %s (%s)\n", commands, e.what());
    }
  }
  std::atexit([] { shutdown(); });
  return true;
}

void shutdown() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.commands.reset();
  if (!s.client) return;
  s.active.store(nullptr, std::memory_order_release);
  s.client->stop();
  // The client object stays alive: a racing call may still hold its pointer.
}

bool active() { return client() != nullptr; }
int rank() { return state().rank; }
std::string run_dir() { return state().run_dir; }

Metric::Metric(std::string_view name) : id_(state().names.intern(name)) {}

void Metric::log(std::int64_t step, double value) const {
  if (auto* c = client()) c->metric(id_, step, value);
}

void metric(std::string_view name, std::int64_t step, double value) {
  auto* c = client();
  if (!c) return;
  c->metric(cached_name_id(name), step, value);
}

void span(std::string_view kind, std::string_view name, std::int64_t step, double start, double end) {
  if (auto* c = client()) c->span({std::string(kind), std::string(name), step, start, end});
}

ScopedSpan::ScopedSpan(std::string_view kind, std::string_view name, std::int64_t step)
    : kind_(kind), name_(name), step_(step), start_(now()) {}

ScopedSpan::~ScopedSpan() { span(kind_, name_, step_, start_, now()); }

void event(std::string_view kind, std::string_view text, std::int64_t step) {
  if (auto* c = client()) c->event({now(), std::string(kind), std::string(text), step});
}

void log(std::string_view line) {
  if (auto* c = client()) c->log({now(), 0, std::string(line)});
}

void progress(double done, double total) {
  if (auto* c = client()) c->progress(done, total);
}

bool checkpoint_requested() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  return s.commands && s.commands->take("checkpoint");
}

std::optional<Prompt> take_prompt() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.commands) return std::nullopt;
  const auto rest = s.commands->take_prefixed("prompt ");  // "prompt ID\nTEXT"
  if (!rest) return std::nullopt;
  const auto newline = rest->find('\n');
  if (newline == std::string::npos) return std::nullopt;
  return Prompt{rest->substr(0, newline), rest->substr(newline + 1)};
}

TelemetryStats stats() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.client) return {};
  auto st = s.client->stats();
  return {st.recorded, st.sent, st.dropped};
}

}  // namespace orrery
