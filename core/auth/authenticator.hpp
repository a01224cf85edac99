// The one place that decides who is logging in: user names and password
// hashes come from the configuration (root, admin, netadmin, audit), the
// check runs on the worker pool, verified credentials are cached briefly,
// failures are throttled, and every attempt is logged as in reference 4.3.1:
//   Webinterface : Accepted login for 'admin' role 'admin' from 192.168.1.55 by Web
//   Webinterface : Failed login for '*******' role '******' from 192.168.1.55 by Web
// (a failed attempt never logs the name typed: it may be a password).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "auth/credentials.hpp"
#include "auth/roles.hpp"
#include "auth/throttle.hpp"
#include "common/status.hpp"
#include "config/config.hpp"
#include "log/log.hpp"
#include "runtime/module.hpp"
#include "runtime/worker_pool.hpp"

namespace bulwark::auth {

struct Identity {
  std::string user;
  Role role;
};

class Authenticator {
 public:
  using Done = std::function<void(Result<Identity>)>;

  Authenticator(runtime::WorkerPool& workers, log::Log& log, const runtime::Clock& clock,
                LoginThrottle::Policy policy = {});

  // The accounts of `config`; called at start and after every configuration change.
  void configure(const config::Config& config);

  // Checks `user` / `password` coming from `source` (an address) over
  // `channel` ("Web", the word the log line ends with). On the loop.
  void authenticate(const std::string& user, const std::string& password, const std::string& source,
                    const std::string& channel, Done done);

  // Checks a firewall user of USERFW_USERS (the user firewall's login from
  // `source`), throttled and logged like the accounts: "Accepted login for
  // firewall user 'NAME' from SOURCE". On the loop.
  void authenticateFirewallUser(const std::string& user, const std::string& password, const std::string& source,
                                std::function<void(Status)> done);

  // True while admin or root still has its factory password (PASSWORD_CHECK).
  bool factoryPasswordsInUse() const { return factoryPasswords_; }

 private:
  struct Account {
    Role role;
    std::string hash;
  };
  void logFailure(const std::string& source, const std::string& channel);
  // The hash check on a worker, counted by the throttle under `key`.
  void verify(LoginThrottle& throttle, const std::string& key, const std::string& password, const std::string& hash,
              bool known, const std::string& source, const std::string& channel, std::function<void()> ok,
              std::function<void(Error)> fail);

  runtime::WorkerPool& workers_;
  log::Log& log_;
  LoginThrottle throttle_;
  LoginThrottle firewallThrottle_;  // the firewall users' logins, counted apart
  CredentialCache cache_;
  std::map<std::string, Account, std::less<>> accounts_;
  std::map<std::string, std::string, std::less<>> firewallUsers_;  // name -> password hash
  std::string decoyHash_;
  bool factoryPasswords_ = false;
};

// The authentication module: keeps the Authenticator's accounts in step with
// the configuration. The HTTPS server and later the console use its
// authenticator().
class AuthModule final : public runtime::Module {
 public:
  AuthModule(runtime::WorkerPool& workers, log::Log& log, const runtime::Clock& clock)
      : authenticator_(workers, log, clock) {}

  std::string_view name() const override { return "auth"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override {}

  Authenticator& authenticator() { return authenticator_; }

 private:
  Authenticator authenticator_;
};

}  // namespace bulwark::auth
