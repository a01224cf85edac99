// The service supervisor: the few daemons the appliance runs (charon,
// openvpn, udhcpd, dropbear, ...) declared as data and kept running.
//
// A service has an argv (never a shell string), environment, working
// directory, user, dependencies (started only once those are ready),
// readiness (at once, a file, a socket, or a line on its stdout), a restart
// policy after procd (a run shorter than `threshold` is a crash; after
// `retries` crashes in a row the service is `failed`; the delay doubles from
// `delay` up to `maxDelay`), and a stop timeout after which SIGTERM becomes
// SIGKILL. Exit by signal is reported as 128 + signal.
//
// Processes are started through a Spawner (spawn.hpp: clone(CLONE_VM |
// CLONE_VFORK), never a fork of the big core), their output goes into the log
// with the service's tag, and their exit reaches the supervisor through
// childExited() from the reaper. Time comes from the injected clock and timers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "log/log.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/timers.hpp"

namespace bulwark::init {

struct Readiness {
  enum class Kind { Started, File, Socket, OutputLine };
  Kind kind = Kind::Started;
  std::string what;  // the path, or the text the line contains
  std::chrono::milliseconds timeout{10000};
};

struct RestartPolicy {
  std::chrono::milliseconds threshold{5000};
  std::chrono::milliseconds delay{1000};
  std::chrono::milliseconds maxDelay{60000};
  int retries = 5;  // crashes in a row before `failed`; 0: never restarted
};

struct ServiceSpec {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value"; nothing else is inherited
  std::string workingDir;        // "" = /
  std::string user;              // "" = the core's user
  std::vector<std::string> after;
  Readiness readiness;
  RestartPolicy restart;
  std::chrono::milliseconds stopTimeout{5000};
  std::string logTag;  // "" = name
  // Turns an output line into the log's tag and message, e.g. dropbear's
  // "[28654] Nov 27 ..." into "sshd[28654]" lines; empty: logTag and the line.
  std::function<std::optional<std::pair<std::string, std::string>>(const std::string& line)> logLine;
};

enum class ServiceState { Waiting, Starting, Running, Backoff, Stopping, Stopped, Failed };
std::string_view stateName(ServiceState state);

struct ServiceStatus {
  std::string name;
  ServiceState state;
  pid_t pid = 0;
  int restarts = 0;
  std::optional<int> lastExit;  // exit code, 128 + signal when killed
  std::chrono::seconds uptime{0};
};

// Published on the event bus on every change of a service's state.
struct ServiceStateChanged {
  std::string name;
  ServiceState state;
};

// Starts processes; the real one is spawn.hpp's ProcessSpawner.
class Spawner {
 public:
  struct Output {
    std::function<void(std::string line)> line;  // each line of stdout/stderr, on the loop
  };
  virtual ~Spawner() = default;
  // Starts the process; its output lines go to `output`. Returns the pid.
  virtual Result<pid_t> spawn(const ServiceSpec& spec, Output output) = 0;
  virtual void signal(pid_t pid, int signal) = 0;
  // Readiness probes.
  virtual bool fileExists(const std::string& path) = 0;
  virtual bool socketAccepts(const std::string& path) = 0;
};

class Supervisor {
 public:
  Supervisor(runtime::Timers& timers, const runtime::Clock& clock, log::Log& log, Spawner& spawner,
             runtime::EventBus* bus = nullptr);
  ~Supervisor();

  // Declares a service (before or after start()); an error for a bad spec.
  Status add(ServiceSpec spec);
  // Declares the service, or replaces the declaration of the service of that
  // name: a running one is stopped (SIGTERM, SIGKILL after its timeout) and
  // started again with the new declaration; its crash count starts afresh.
  Status update(ServiceSpec spec);
  // Stops the service and forgets it.
  void remove(const std::string& name);
  // Starts every declared service, each once its dependencies are ready.
  void start();
  // Stops every service in reverse dependency order; `done` when all are down.
  void stopAll(std::function<void()> done);

  // From the reaper: the child `pid` ended with wait status `status`.
  // False when the pid is none of ours (an orphan the reaper collected).
  bool childExited(pid_t pid, int status);

  std::vector<ServiceStatus> list() const;
  std::optional<ServiceStatus> status(const std::string& name) const;

 private:
  struct Service;
  void tryStart();
  void launch(Service& s);
  void becameReady(Service& s);
  void setState(Service& s, ServiceState state);
  void probe(Service& s);
  void finishStopAll();
  void stopOne(Service& s);
  // A run ended too early (or could not start): back-off, or failed.
  void crashed(Service& s, const std::string& what);
  Service* find(const std::string& name);

  runtime::Timers& timers_;
  const runtime::Clock& clock_;
  log::Log& log_;
  Spawner& spawner_;
  runtime::EventBus* bus_;
  std::vector<std::unique_ptr<Service>> services_;  // in declaration order
  std::vector<std::string> startOrder_;             // in the order they became ready
  bool started_ = false;
  bool stopping_ = false;
  std::function<void()> stopped_;
};

// Exit code of a wait status: the code, or 128 + signal.
int exitCodeOf(int waitStatus);

}  // namespace bulwark::init
