// The serial console: a login prompt for the configured users (root, admin,
// netadmin, audit), then a small CLI on the loop:
//   help, show status, show interfaces, show log [N], show services,
//   gaiconfig --get PATH | --set PATH VALUE | --get-all,
//   reboot, poweroff, logout
// Passwords are checked by the Authenticator (throttled, logged "by Console");
// changes go through the configuration service with the user's name and role;
// only root and admin change the configuration, reboot or power off. The
// password is read with echo off when the console is a terminal. PID 1 has no
// controlling terminal, so Ctrl-C on the console never signals it. The same
// CLI serves SSH sessions (shell_server.hpp) without the login prompt.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "auth/authenticator.hpp"
#include "board.hpp"
#include "config/service.hpp"
#include "init/supervisor.hpp"
#include "log/log.hpp"
#include "runtime/worker_pool.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::init {

struct ConsoleServices {
  auth::Authenticator& authenticator;
  config::ConfigService& config;
  const Supervisor& supervisor;
  runtime::WorkerPool& workers;
  const runtime::Clock& clock;
  const platform::Board& board;
  std::filesystem::path dataDir;
  std::filesystem::path logDatabase;
  std::function<void()> flushLog;
  std::function<void(int signal)> shutdown;  // SIGINT reboot, SIGTERM power off
  std::function<void()> ended;               // once, when the console has stopped (may be empty)
};

class Console {
 public:
  // Reads commands from `inFd` and answers on `outFd` (both duplicated).
  Console(boost::asio::io_context& io, int inFd, int outFd, ConsoleServices services);
  ~Console();
  // The login prompt (the serial console).
  void start();
  // A session of a user someone else has authenticated (SSH): the CLI at
  // once; logout ends it. With a `command`, only that command, then the end.
  void startSession(const auth::Identity& who, const std::string& command = {});
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulwark::init
