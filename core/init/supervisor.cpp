#include "init/supervisor.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace bulwark::init {

namespace {
constexpr std::string_view kTag = "init";
constexpr std::chrono::milliseconds kProbeInterval{50};
using TimePoint = std::chrono::system_clock::time_point;
}  // namespace

std::string_view stateName(ServiceState state) {
  switch (state) {
    case ServiceState::Waiting: return "waiting";
    case ServiceState::Starting: return "starting";
    case ServiceState::Running: return "running";
    case ServiceState::Backoff: return "backoff";
    case ServiceState::Stopping: return "stopping";
    case ServiceState::Stopped: return "stopped";
    case ServiceState::Failed: return "failed";
  }
  return "?";
}

int exitCodeOf(int waitStatus) {
  if (WIFEXITED(waitStatus)) return WEXITSTATUS(waitStatus);
  if (WIFSIGNALED(waitStatus)) return 128 + WTERMSIG(waitStatus);
  return -1;
}

struct Supervisor::Service {
  ServiceSpec spec;
  ServiceState state = ServiceState::Waiting;
  pid_t pid = 0;
  int restarts = 0;
  int crashes = 0;  // in a row
  std::optional<int> lastExit;
  TimePoint startedAt{};
  runtime::Timers::Id timer = 0;      // back-off, readiness probe or stop escalation
  runtime::Timers::Id deadline = 0;   // readiness timeout
  bool ready = false;
  // Output lines carry a generation, so that a line of an old run never
  // counts as the readiness line of a new one.
  std::shared_ptr<int> generation = std::make_shared<int>(0);
  std::optional<ServiceSpec> next;  // update(): the declaration to start once this run has ended
  bool removing = false;            // remove(): forget it once this run has ended
};

Supervisor::Supervisor(runtime::Timers& timers, const runtime::Clock& clock, log::Log& log, Spawner& spawner,
                       runtime::EventBus* bus)
    : timers_(timers), clock_(clock), log_(log), spawner_(spawner), bus_(bus) {}

Supervisor::~Supervisor() {
  for (auto& s : services_) {
    timers_.cancel(s->timer);
    timers_.cancel(s->deadline);
  }
}

Supervisor::Service* Supervisor::find(const std::string& name) {
  for (auto& s : services_) {
    if (s->spec.name == name) return s.get();
  }
  return nullptr;
}

Status Supervisor::add(ServiceSpec spec) {
  if (spec.name.empty() || spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    return Error{fmt::format("service '{}': the name and an absolute program path are required", spec.name)};
  }
  if (find(spec.name)) return Error{fmt::format("service '{}' is declared twice", spec.name)};
  for (const std::string& dep : spec.after) {
    if (!find(dep)) return Error{fmt::format("service '{}' depends on '{}', which is not declared before it", spec.name, dep)};
  }
  if (spec.logTag.empty()) spec.logTag = spec.name;
  auto service = std::make_unique<Service>();
  service->spec = std::move(spec);
  services_.push_back(std::move(service));
  if (started_ && !stopping_) tryStart();
  return {};
}

Status Supervisor::update(ServiceSpec spec) {
  Service* s = find(spec.name);
  if (!s) return add(std::move(spec));
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    return Error{fmt::format("service '{}': an absolute program path is required", spec.name)};
  }
  if (spec.logTag.empty()) spec.logTag = spec.name;
  s->crashes = 0;
  if (s->pid) {
    // Declared again while a remove() is stopping it: wanted after all, so
    // the next run starts once this one has ended.
    s->removing = false;
    s->next = std::move(spec);
    stopOne(*s);
    return {};
  }
  timers_.cancel(s->timer);
  s->spec = std::move(spec);
  setState(*s, ServiceState::Waiting);
  if (started_ && !stopping_) tryStart();
  return {};
}

void Supervisor::remove(const std::string& name) {
  Service* s = find(name);
  if (!s) return;
  if (s->pid) {
    s->removing = true;
    s->next.reset();
    stopOne(*s);
    return;
  }
  timers_.cancel(s->timer);
  timers_.cancel(s->deadline);
  services_.erase(std::find_if(services_.begin(), services_.end(), [s](const auto& p) { return p.get() == s; }));
}

void Supervisor::stopOne(Service& s) {
  if (s.state == ServiceState::Stopping) return;
  timers_.cancel(s.timer);
  setState(s, ServiceState::Stopping);
  spawner_.signal(s.pid, SIGTERM);
  std::string name = s.spec.name;
  pid_t pid = s.pid;
  s.timer = timers_.after(s.spec.stopTimeout, [this, name, pid] {
    Service* svc = find(name);
    if (!svc || svc->pid != pid) return;
    log_.write(kTag, fmt::format("{} did not stop within {} ms; killing it", name, svc->spec.stopTimeout.count()));
    spawner_.signal(pid, SIGKILL);
  });
}

void Supervisor::start() {
  started_ = true;
  tryStart();
}

void Supervisor::setState(Service& s, ServiceState state) {
  if (s.state == state) return;
  s.state = state;
  if (bus_) bus_->publish(ServiceStateChanged{s.spec.name, state});
}

void Supervisor::tryStart() {
  for (auto& s : services_) {
    if (s->state != ServiceState::Waiting) continue;
    bool depsReady = std::all_of(s->spec.after.begin(), s->spec.after.end(), [this](const std::string& dep) {
      Service* d = find(dep);
      return d && d->state == ServiceState::Running && d->ready;
    });
    if (depsReady) launch(*s);
  }
}

void Supervisor::launch(Service& s) {
  ++*s.generation;
  s.ready = false;
  setState(s, ServiceState::Starting);
  std::string tag = s.spec.logTag;
  auto generation = s.generation;
  int mine = *generation;
  std::string name = s.spec.name;
  auto rewrite = s.spec.logLine;
  Spawner::Output output{[this, tag, name, generation, mine, rewrite](std::string line) {
    Service* svc = find(name);
    // As the reference prints a daemon's lines: "dhcp-int: udhcpd: started, v1.36.1".
    if (rewrite) {
      ServiceLogLine entry = rewrite(line);
      log_.write(entry.tag, std::move(entry.message), entry.pid);
    } else {
      log_.write(tag, line);
    }
    if (!svc || *generation != mine || svc->ready) return;
    if (svc->spec.readiness.kind == Readiness::Kind::OutputLine &&
        line.find(svc->spec.readiness.what) != std::string::npos) {
      becameReady(*svc);
    }
  }};
  auto pid = spawner_.spawn(s.spec, std::move(output));
  s.startedAt = clock_.now();
  if (!pid) {
    log_.write(kTag, fmt::format("cannot start {}: {}", s.spec.name, pid.error()));
    s.pid = 0;
    s.lastExit = 127;
    return crashed(s, "could not be started");
  }
  s.pid = *pid;
  log_.write(kTag, fmt::format("started {} (pid {})", s.spec.name, s.pid));
  switch (s.spec.readiness.kind) {
    case Readiness::Kind::Started: return becameReady(s);
    case Readiness::Kind::File:
    case Readiness::Kind::Socket: probe(s); break;
    case Readiness::Kind::OutputLine: break;
  }
  s.deadline = timers_.after(s.spec.readiness.timeout, [this, name, generation, mine] {
    Service* svc = find(name);
    if (!svc || *generation != mine || svc->ready || svc->state != ServiceState::Starting) return;
    log_.write(kTag, fmt::format("{} did not become ready within {} ms; stopping it", svc->spec.name,
                                 svc->spec.readiness.timeout.count()));
    spawner_.signal(svc->pid, SIGKILL);
  });
}

void Supervisor::probe(Service& s) {
  bool ok = s.spec.readiness.kind == Readiness::Kind::File ? spawner_.fileExists(s.spec.readiness.what)
                                                           : spawner_.socketAccepts(s.spec.readiness.what);
  if (ok) return becameReady(s);
  std::string name = s.spec.name;
  auto generation = s.generation;
  int mine = *generation;
  s.timer = timers_.after(kProbeInterval, [this, name, generation, mine] {
    Service* svc = find(name);
    if (svc && *generation == mine && !svc->ready && svc->state == ServiceState::Starting) probe(*svc);
  });
}

void Supervisor::becameReady(Service& s) {
  s.ready = true;
  timers_.cancel(s.deadline);
  setState(s, ServiceState::Running);
  if (std::find(startOrder_.begin(), startOrder_.end(), s.spec.name) == startOrder_.end()) {
    startOrder_.push_back(s.spec.name);
  }
  if (!stopping_) tryStart();
}

bool Supervisor::childExited(pid_t pid, int status) {
  if (pid <= 0) return false;
  auto it = std::find_if(services_.begin(), services_.end(), [pid](const auto& s) { return s->pid == pid; });
  if (it == services_.end()) return false;
  Service& s = **it;
  int code = exitCodeOf(status);
  s.pid = 0;
  s.lastExit = code;
  s.ready = false;
  timers_.cancel(s.timer);
  timers_.cancel(s.deadline);
  if (s.state == ServiceState::Stopping || stopping_) {
    log_.write(kTag, fmt::format("{} stopped (status {})", s.spec.name, code));
    setState(s, ServiceState::Stopped);
    if (!stopping_ && s.removing) {
      services_.erase(it);
    } else if (!stopping_ && s.next) {
      s.spec = std::move(*s.next);
      s.next.reset();
      setState(s, ServiceState::Waiting);
      if (started_) tryStart();
    }
    finishStopAll();
    return true;
  }
  crashed(s, fmt::format("exited with status {}", code));
  return true;
}

void Supervisor::crashed(Service& s, const std::string& what) {
  if (clock_.now() - s.startedAt >= s.spec.restart.threshold) s.crashes = 0;
  ++s.crashes;
  if (s.crashes > s.spec.restart.retries) {
    setState(s, ServiceState::Failed);
    log_.write(kTag, fmt::format("{} {}; failed after {} crashes in a row, not restarted", s.spec.name, what,
                                 s.crashes));
    return;
  }
  // The delay doubles with every crash in a row.
  auto delay = s.spec.restart.delay;
  for (int i = 1; i < s.crashes && delay < s.spec.restart.maxDelay; ++i) delay *= 2;
  delay = std::min(delay, s.spec.restart.maxDelay);
  log_.write(kTag, fmt::format("{} {}; restarting in {} ms", s.spec.name, what, delay.count()));
  setState(s, ServiceState::Backoff);
  ++s.restarts;
  std::string name = s.spec.name;
  s.timer = timers_.after(delay, [this, name] {
    if (Service* svc = find(name); svc && svc->state == ServiceState::Backoff && !stopping_) launch(*svc);
  });
}

void Supervisor::stopAll(std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  // Reverse dependency order: the last to become ready goes first; a
  // service is signalled once every service that depends on it is down.
  finishStopAll();
}

void Supervisor::finishStopAll() {
  if (!stopping_) return;
  std::set<std::string> up;
  for (auto& s : services_) {
    if (s->pid) up.insert(s->spec.name);
  }
  for (auto& s : services_) {
    if (!s->pid) {
      timers_.cancel(s->timer);
      if (s->state != ServiceState::Failed) setState(*s, ServiceState::Stopped);
      continue;
    }
    if (s->state == ServiceState::Stopping) continue;
    bool dependentsDown = std::none_of(services_.begin(), services_.end(), [&](const auto& other) {
      return other->pid && std::find(other->spec.after.begin(), other->spec.after.end(), s->spec.name) !=
                               other->spec.after.end();
    });
    if (!dependentsDown) continue;
    stopOne(*s);
  }
  if (up.empty() && stopped_) {
    auto done = std::move(stopped_);
    stopped_ = nullptr;
    done();
  }
}

std::vector<ServiceStatus> Supervisor::list() const {
  std::vector<ServiceStatus> out;
  for (const auto& s : services_) {
    ServiceStatus st{s->spec.name, s->state, s->pid, s->restarts, s->lastExit, std::chrono::seconds(0)};
    if (s->pid) st.uptime = std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - s->startedAt);
    out.push_back(st);
  }
  return out;
}

std::optional<ServiceStatus> Supervisor::status(const std::string& name) const {
  for (const auto& st : list()) {
    if (st.name == name) return st;
  }
  return std::nullopt;
}

}  // namespace bulwark::init
