#include "auth/authenticator.hpp"
#include "common/number.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include <fmt/format.h>

#include "config/password.hpp"

namespace bulwark::auth {

namespace {

constexpr std::string_view kTag = "Webinterface";


struct AccountVariable {
  std::string_view user;
  std::string_view variable;
  Role role;
};
constexpr AccountVariable kAccounts[] = {
    {"root", "ROOT_PASSWORD", Role::Root},
    {"admin", "WWW_PASSWORD_RAW", Role::Admin},
    {"netadmin", "NETADMIN_PASSWORD", Role::Netadmin},
    {"audit", "AUDIT_PASSWORD", Role::Audit},
    {"user", "USER_PASSWORD", Role::User},
    {"mobile", "MOBILE_PASSWORD", Role::Mobile},
};

}  // namespace

Authenticator::Authenticator(runtime::WorkerPool& workers, log::Log& log, const runtime::Clock& clock,
                             LoginThrottle::Policy policy)
    : workers_(workers),
      log_(log),
      throttle_(clock, policy),
      firewallThrottle_(clock, policy),
      cache_(clock, std::chrono::seconds(60), 256) {
  // Unknown users are checked against a real hash too, so that the answer
  // takes as long as for an account (no probing for names by timing). Made
  // once, at start, before the loop runs.
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("no randomness for the decoy hash");
  std::string secret;
  for (unsigned char b : random) secret += fmt::format("{:02x}", b);
  auto decoy = config::hashPassword(secret);
  if (!decoy) throw std::runtime_error(decoy.error());
  decoyHash_ = std::move(*decoy);
}

void Authenticator::configure(const config::Config& config) {
  accounts_.clear();
  firewallUsers_.clear();
  if (const config::Value* users = config.find("USERFW_USERS")) {
    for (const config::Row& row : users->rows) {
      auto name = row.fields.find("USERNAME");
      auto hash = row.fields.find("PASSWORD");
      if (name == row.fields.end() || hash == row.fields.end() || hash->second.text.empty()) continue;
      firewallUsers_.emplace(name->second.text, hash->second.text);
    }
  }
  for (const AccountVariable& a : kAccounts) {
    const std::string& hash = config.get(a.variable);
    if (!hash.empty()) accounts_.emplace(std::string(a.user), Account{a.role, hash});
  }
  LoginThrottle::Policy policy;
  // A validated configuration has all three; the defaults are the schema's.
  const std::string& limit = config.get("LOGIN_FAILURE_LIMIT");
  policy.maxFailures = toNumber<int>(limit).value_or(3);
  policy.window = std::chrono::seconds(config::parseDuration(config.get("LOGIN_FAILURE_WINDOW")).value_or(900));
  policy.lockout = std::chrono::seconds(config::parseDuration(config.get("LOGIN_LOCKOUT")).value_or(900));
  throttle_.setPolicy(policy);
  firewallThrottle_.setPolicy(policy);
  auto factory = config::factoryDefault(config::Schema::builtin());
  factoryPasswords_ = config.get("WWW_PASSWORD_RAW") == factory.get("WWW_PASSWORD_RAW") ||
                      config.get("ROOT_PASSWORD") == factory.get("ROOT_PASSWORD");
  cache_.clear();
}

void Authenticator::logFailure(const std::string& source, const std::string& channel) {
  log_.write(kTag, fmt::format("Failed login for '*******' role '******' from {} by {}", source, channel));
}

void Authenticator::verify(LoginThrottle& throttle, const std::string& key, const std::string& password,
                           const std::string& hash, bool known, const std::string& source, const std::string& channel,
                           std::function<void()> ok, std::function<void(Error)> fail) {
  bool queued = workers_.submit<bool>(
      [password, hash, known] { return verifyPassword(password, hash) && known; },
      [this, &throttle, key, source, channel, ok, fail](bool good) {
        if (good) {
          throttle.succeeded(key, source);
          return ok();
        }
        throttle.failed(key, source);
        logFailure(source, channel);
        fail(Error{"Wrong user name or password."});
      });
  if (!queued) fail(Error{"The device is busy; try again."});
}

void Authenticator::authenticate(const std::string& user, const std::string& password, const std::string& source,
                                 const std::string& channel, Done done) {
  if (auto wait = throttle_.blockedFor(user, source); wait.count() > 0) {
    logFailure(source, channel);
    return done(Error{fmt::format("Too many failed logins; try again in {} seconds.", wait.count())});
  }
  auto it = accounts_.find(user);
  bool known = it != accounts_.end();
  std::string hash = known ? it->second.hash : decoyHash_;
  Role role = known ? it->second.role : Role::User;
  // A credential found in the cache was verified, and its login logged,
  // within the last minute: scripts sending Basic auth with every request
  // neither pay a hash nor fill the log each time.
  if (known && cache_.contains(user, password, hash)) return done(Identity{user, role});
  verify(
      throttle_, user, password, hash, known, source, channel,
      [this, user, password, hash, source, channel, role, done] {
        cache_.remember(user, password, hash);
        log_.write(kTag, fmt::format("Accepted login for '{}' role '{}' from {} by {}", user, roleName(role), source,
                                     channel));
        done(Identity{user, role});
      },
      [done](Error e) { done(std::move(e)); });
}

void Authenticator::authenticateFirewallUser(const std::string& user, const std::string& password,
                                             const std::string& source, std::function<void(Status)> done) {
  // Counted apart from the accounts: a firewall user's success must not
  // clear a source's failures against the administrators, nor the reverse.
  const std::string& key = user;
  if (auto wait = firewallThrottle_.blockedFor(key, source); wait.count() > 0) {
    logFailure(source, "Web");
    return done(Error{fmt::format("Too many failed logins; try again in {} seconds.", wait.count())});
  }
  auto it = firewallUsers_.find(user);
  bool known = it != firewallUsers_.end();
  verify(
      firewallThrottle_, key, password, known ? it->second : decoyHash_, known, source, "Web",
      [this, user, source, done] {
        log_.write(kTag, fmt::format("Accepted login for firewall user '{}' from {}", user, source));
        done({});
      },
      [done](Error e) { done(Status(std::move(e))); });
}

Status AuthModule::start(const config::Snapshot& snapshot) {
  authenticator_.configure(*snapshot);
  return {};
}

Status AuthModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  bool touched = diff.touches("LOGIN_FAILURE_LIMIT") || diff.touches("LOGIN_FAILURE_WINDOW") ||
                 diff.touches("LOGIN_LOCKOUT");
  for (const AccountVariable& a : kAccounts) touched = touched || diff.touches(a.variable);
  touched = touched || diff.touches("USERFW_USERS");
  if (touched) authenticator_.configure(*snapshot);
  return {};
}

}  // namespace bulwark::auth
