// Shell access over SSH (reference: Management >> System Settings >> Shell
// Access, and the sshd / inno-sshlimitd lines of 4.3.1).
//
// dropbear (Debian's, supervised as "sshd") does the SSH protocol and the
// password check against /etc/passwd and /etc/shadow, which this module
// writes from the configuration (accountFiles below; PID 1 binds them over
// /etc). root gets /bin/sh; admin, netadmin and audit get the appliance's
// CLI: their login shell is this binary as bulwark-shell, which hands the
// session's terminal to the core (shell_server.hpp). The core counts the
// sessions of each role against SSH_<ROLE>_LOGIN_ALLOWED_MAX and logs as
// inno-sshlimitd does. dropbear's own lines are rewritten into the sshd
// lines of the reference ("Accepted password for admin from 192.168.1.55
// port 53721 ssh2").
// Only where the accounts are the appliance's own (PID 1: the image, or a
// namespace with a mount namespace of its own) is SSH offered: there the
// module binds its passwd, shadow, group and shells over /etc. As a
// process it stays off. dropbear listens on the internal address only,
// unless SSH_REMOTE_ACCESS is yes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "auth/roles.hpp"
#include "config/config.hpp"
#include "init/supervisor.hpp"
#include "log/log.hpp"
#include "runtime/module.hpp"

namespace bulwark::init {

struct AccountFiles {
  std::string passwd, shadow, group, shells;
};

// The accounts of the appliance: root (uid 0, /bin/sh), admin (1000),
// netadmin (1001) and audit (1002) with `shell`; a user without a password
// hash is locked ("!").
AccountFiles accountFiles(const config::Config& config, const std::string& shell);

// The role of a uid of accountFiles(), if any.
std::optional<auth::Role> roleOfUid(unsigned uid);
// SSH_<ROLE>_LOGIN_ALLOWED_MAX of the role (root: no limit, 0).
unsigned sessionLimit(const config::Config& config, auth::Role role);

// One line of dropbear's stderr ("[28654] Nov 27 05:10:11 Password auth
// succeeded for 'admin' from 192.168.1.55:53721") as the log's ("sshd",
// pid 28654, "Accepted password for admin from 192.168.1.55 port 53721
// ssh2"). Lines without a translation keep their text.
ServiceLogLine sshdLogLine(const std::string& line);

class SshModule final : public runtime::Module {
 public:
  // `enabled`: the accounts are the appliance's own (PID 1). Files go to
  // `runDir` (passwd, shadow, group, bulwark-shell), the host key to
  // `<dataDir>/ssh/`.
  SshModule(log::Log& log, Supervisor& supervisor, std::filesystem::path runDir, std::filesystem::path dataDir,
            bool enabled)
      : log_(log), supervisor_(supervisor), runDir_(std::move(runDir)), dataDir_(std::move(dataDir)),
        enabled_(enabled) {}
  std::string_view name() const override { return "ssh"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override {}

 private:
  Status setUp(const config::Config& config);
  Status declareService(const config::Config& config);
  Status writeAccounts(const config::Config& config);
  Status bindAccounts();

  log::Log& log_;
  Supervisor& supervisor_;
  std::filesystem::path runDir_, dataDir_;
  bool enabled_;
  bool accounts_ = false;  // passwd and friends are in place
  bool running_ = false;   // sshd is declared
};

}  // namespace bulwark::init
