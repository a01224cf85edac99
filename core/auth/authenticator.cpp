#include "auth/authenticator.hpp"

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
    : workers_(workers), log_(log), throttle_(clock, policy), cache_(clock, std::chrono::seconds(60), 256) {
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
  for (const AccountVariable& a : kAccounts) {
    const std::string& hash = config.get(a.variable);
    if (!hash.empty()) accounts_.emplace(std::string(a.user), Account{a.role, hash});
  }
  LoginThrottle::Policy policy;
  // A validated configuration has all three; the defaults are the schema's.
  const std::string& limit = config.get("LOGIN_FAILURE_LIMIT");
  policy.maxFailures = limit.empty() ? 3 : std::stoi(limit);
  policy.window = std::chrono::seconds(config::parseDuration(config.get("LOGIN_FAILURE_WINDOW")).value_or(900));
  policy.lockout = std::chrono::seconds(config::parseDuration(config.get("LOGIN_LOCKOUT")).value_or(900));
  throttle_.setPolicy(policy);
  auto factory = config::factoryDefault(config::Schema::builtin());
  factoryPasswords_ = config.get("WWW_PASSWORD_RAW") == factory.get("WWW_PASSWORD_RAW") ||
                      config.get("ROOT_PASSWORD") == factory.get("ROOT_PASSWORD");
  cache_.clear();
}

void Authenticator::logFailure(const std::string& source, const std::string& channel) {
  log_.write(kTag, fmt::format("Failed login for '*******' role '******' from {} by {}", source, channel));
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
  auto accept = [this, user, source, channel, role, done](const std::string& h, const std::string& p) {
    cache_.remember(user, p, h);
    throttle_.succeeded(user, source);
    log_.write(kTag, fmt::format("Accepted login for '{}' role '{}' from {} by {}", user, roleName(role), source,
                                 channel));
    done(Identity{user, role});
  };
  bool queued = workers_.submit<bool>(
      [password, hash, known] { return verifyPassword(password, hash) && known; },
      [this, user, password, hash, source, channel, done, accept](bool ok) {
        if (ok) return accept(hash, password);
        throttle_.failed(user, source);
        logFailure(source, channel);
        done(Error{"Wrong user name or password."});
      });
  if (!queued) done(Error{"The device is busy; try again."});
}

Status AuthModule::start(const config::Snapshot& snapshot) {
  authenticator_.configure(*snapshot);
  return {};
}

Status AuthModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  bool touched = diff.touches("LOGIN_FAILURE_LIMIT") || diff.touches("LOGIN_FAILURE_WINDOW") ||
                 diff.touches("LOGIN_LOCKOUT");
  for (const AccountVariable& a : kAccounts) touched = touched || diff.touches(a.variable);
  if (touched) authenticator_.configure(*snapshot);
  return {};
}

}  // namespace bulwark::auth
