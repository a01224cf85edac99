// The core's end of SSH shell sessions. bulwark-shell, the login shell
// dropbear starts for admin, netadmin and audit (ssh.hpp), connects to
// <run>/shell.sock and hands over its terminal (stdin and stdout, as
// SCM_RIGHTS) and the command of `ssh HOST COMMAND`, if any. The server
// knows the user from the kernel (SO_PEERCRED: the uid of the connecting
// process, never a claim in the message), counts the sessions of each role
// against its limit, and runs the console CLI on the terminal until logout
// or hang-up. Log lines as the reference's inno-sshlimitd and sshd (4.3.1):
//   inno-sshlimitd: accepting new connection at fd 6
//   inno-sshlimitd: allow session 1 of maximum 4 for role admin (class 1) at fd 6
//   sshd[28659]: session start for user 'admin'
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "auth/authenticator.hpp"
#include "common/status.hpp"
#include "init/console.hpp"
#include "log/log.hpp"
#include "runtime/timers.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::init {

class ShellServer {
 public:
  struct Hooks {
    std::function<std::optional<auth::Identity>(uid_t uid)> identify;  // the account of a uid
    std::function<unsigned(auth::Role)> limit;                          // sessions allowed; 0: no limit
    // A console on the session's terminal; `ended` once it has stopped.
    std::function<std::unique_ptr<Console>(int in, int out, std::function<void()> ended)> console;
  };

  static Result<std::unique_ptr<ShellServer>> listen(boost::asio::io_context& io, runtime::Timers& timers,
                                                     log::Log& log, const std::filesystem::path& path, Hooks hooks);
  ~ShellServer();
  std::size_t sessions(auth::Role role) const;

 private:
  struct Impl;
  explicit ShellServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// bulwark-shell: connects the login session to the core's shell server and
// waits for its end. `-c COMMAND` runs one command.
int shellMain(int argc, char** argv);

}  // namespace bulwark::init
