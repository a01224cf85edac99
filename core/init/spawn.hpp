// Starting and reaping processes for the supervisor.
//
// ProcessSpawner starts a child with clone(CLONE_VM | CLONE_VFORK): the
// child shares the core's memory until it calls execve, so nothing of the
// (large) core is copied. In the child, before exec: default signal
// dispositions and an empty mask, a session of its own (so a stop reaches
// its whole process group), SIGKILL when the core dies, stdin from
// /dev/null, stdout and stderr into a pipe the loop reads line by line (logged with the
// service's tag, as the reference prints daemons: "dhcp-int: udhcpd: started"), the
// working directory and the user. The environment is only what the spec
// gives; every descriptor of the core is close-on-exec.
//
// Reaper collects every child that ends (SIGCHLD, waitpid until none is
// left): the supervisor's own, and as PID 1 or child subreaper the orphans
// of everybody else, so no zombie stays.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <memory>

#include "init/supervisor.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::init {

class ProcessSpawner final : public Spawner {
 public:
  explicit ProcessSpawner(boost::asio::io_context& io);
  ~ProcessSpawner() override;
  Result<pid_t> spawn(const ServiceSpec& spec, Output output) override;
  void signal(pid_t pid, int signal) override;
  bool fileExists(const std::string& path) override;
  bool socketAccepts(const std::string& path) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Reaper {
 public:
  // `exited(pid, waitStatus)` returns false for a pid that is nobody's (an orphan).
  Reaper(boost::asio::io_context& io, std::function<bool(pid_t, int)> exited);
  ~Reaper();
  // Orphans collected so far.
  std::size_t orphans() const;
  // Reaps what has ended now (also called on every SIGCHLD).
  void reapNow();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes this process the reaper of its descendants' orphans (not needed as PID 1).
Status becomeSubreaper();

}  // namespace bulwark::init
