#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include "auth/authenticator.hpp"
#include "auth/credentials.hpp"
#include "auth/roles.hpp"
#include "auth/throttle.hpp"
#include "config/atv.hpp"
#include "config/password.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::auth;
using namespace std::chrono;

TEST_CASE("roles are named as in the reference", "[auth]") {
  for (auto name : {"root", "admin", "netadmin", "audit", "user", "mobile"}) {
    auto role = parseRole(name);
    REQUIRE(role);
    CHECK(roleName(*role) == name);
  }
  CHECK_FALSE(parseRole("Admin"));
  CHECK_FALSE(parseRole(""));
}

TEST_CASE("passwords are verified against their crypt hash", "[auth]") {
  auto hash = config::hashPassword("correct horse");
  REQUIRE(hash);
  CHECK(verifyPassword("correct horse", *hash));
  CHECK_FALSE(verifyPassword("correct hors", *hash));
  CHECK_FALSE(verifyPassword("", *hash));
  CHECK_FALSE(verifyPassword("correct horse", ""));
  CHECK_FALSE(verifyPassword("correct horse", "*"));
  CHECK_FALSE(verifyPassword(std::string("correct horse\0x", 15), *hash));
  // The factory passwords (admin / mGuard, root / root) match the factory hashes.
  auto factory = config::factoryDefault(config::Schema::builtin());
  CHECK(verifyPassword("mGuard", factory.get("WWW_PASSWORD_RAW")));
  CHECK(verifyPassword("root", factory.get("ROOT_PASSWORD")));
  CHECK_FALSE(verifyPassword("mguard", factory.get("WWW_PASSWORD_RAW")));
}

TEST_CASE("constant-time comparison compares all of both strings", "[auth]") {
  CHECK(constantTimeEquals("abc", "abc"));
  CHECK_FALSE(constantTimeEquals("abc", "abd"));
  CHECK_FALSE(constantTimeEquals("abc", "xbc"));
  CHECK_FALSE(constantTimeEquals("abc", "abcd"));
  CHECK(constantTimeEquals("", ""));
}

TEST_CASE("verified credentials are remembered for a while, never across a password change", "[auth]") {
  runtime::ManualClock clock;
  CredentialCache cache(clock, seconds(60), 3);
  cache.remember("admin", "mGuard", "$6$hash-1");
  CHECK(cache.contains("admin", "mGuard", "$6$hash-1"));
  CHECK_FALSE(cache.contains("admin", "mGuard", "$6$hash-2"));  // the password was changed
  CHECK_FALSE(cache.contains("admin", "mguard", "$6$hash-1"));
  CHECK_FALSE(cache.contains("root", "mGuard", "$6$hash-1"));
  // No two different triples share a key, however the parts are cut.
  cache.remember("ad", "minmGuard", "$6$hash-1");
  CHECK_FALSE(cache.contains("adm", "inmGuard", "$6$hash-1"));
  clock.advance(seconds(61));
  CHECK_FALSE(cache.contains("admin", "mGuard", "$6$hash-1"));
  for (int i = 0; i < 10; ++i) {
    clock.advance(seconds(1));  // the oldest entry is dropped first
    cache.remember("u" + std::to_string(i), "p", "h");
  }
  CHECK(cache.size() == 3);
  CHECK(cache.contains("u9", "p", "h"));
  CHECK_FALSE(cache.contains("u0", "p", "h"));
}

TEST_CASE("three failures lock the user and the source for 15 minutes", "[auth]") {
  runtime::ManualClock clock;
  LoginThrottle throttle(clock, {});
  CHECK(throttle.blockedFor("admin", "192.168.1.55") == seconds(0));
  throttle.failed("admin", "192.168.1.55");
  throttle.failed("admin", "192.168.1.55");
  CHECK(throttle.blockedFor("admin", "192.168.1.55") == seconds(0));
  throttle.failed("admin", "192.168.1.55");
  CHECK(throttle.blockedFor("admin", "192.168.1.55") == seconds(900));
  CHECK(throttle.blockedFor("admin", "10.0.0.1") == seconds(900));       // the user, from anywhere
  CHECK(throttle.blockedFor("audit", "192.168.1.55") == seconds(900));  // the source, for anyone
  CHECK(throttle.blockedFor("audit", "10.0.0.1") == seconds(0));
  // A success does not lift a lockout in force.
  throttle.succeeded("admin", "192.168.1.55");
  CHECK(throttle.blockedFor("admin", "192.168.1.55") == seconds(900));
  clock.advance(seconds(600));
  CHECK(throttle.blockedFor("admin", "192.168.1.55") == seconds(300));
  clock.advance(seconds(300));
  CHECK(throttle.blockedFor("admin", "192.168.1.55") == seconds(0));
}

TEST_CASE("failures older than the window do not count, and made-up names reset nothing", "[auth]") {
  runtime::ManualClock clock;
  LoginThrottle throttle(clock, {});
  throttle.failed("admin", "a");
  throttle.failed("admin", "b");
  clock.advance(seconds(16 * 60));
  throttle.failed("admin", "c");
  CHECK(throttle.blockedFor("admin", "d") == seconds(0));
  // Guessing with random names from one source locks the source; names never reset the admin's count.
  throttle.failed("admin", "e");
  for (int i = 0; i < 3; ++i) throttle.failed("nobody" + std::to_string(i), "f");
  CHECK(throttle.blockedFor("x", "f") == seconds(900));
  throttle.failed("admin", "g");
  CHECK(throttle.blockedFor("admin", "h") == seconds(900));
}

namespace {

struct AuthFixture {
  boost::asio::io_context io;
  runtime::ManualClock clock;
  log::Log log{clock};
  test::MemorySink sink;
  runtime::WorkerPool workers{io, 2, 16};
  Authenticator auth{workers, log, clock};
  config::Config config = config::factoryDefault(config::Schema::builtin());

  AuthFixture() {
    log.addSink(sink);
    auth.configure(config);
  }

  Result<Identity> login(const std::string& user, const std::string& password, const std::string& source = "192.168.1.55") {
    std::optional<Result<Identity>> result;
    auth.authenticate(user, password, source, "Web", [&](Result<Identity> r) { result.emplace(std::move(r)); });
    test::runUntil(io, [&] { return result.has_value(); });
    return std::move(*result);
  }
};

}  // namespace

TEST_CASE("the factory logins work and are logged as in reference 4.3.1", "[auth]") {
  AuthFixture f;
  auto admin = f.login("admin", "mGuard");
  REQUIRE(admin);
  CHECK(admin->user == "admin");
  CHECK(admin->role == Role::Admin);
  auto root = f.login("root", "root");
  REQUIRE(root);
  CHECK(root->role == Role::Root);
  REQUIRE(f.sink.entries.size() == 2);
  CHECK(f.sink.entries[0].tag == "Webinterface");
  CHECK(f.sink.entries[0].message == "Accepted login for 'admin' role 'admin' from 192.168.1.55 by Web");
  CHECK(log::formatLine(f.sink.entries[0]).ends_with(
      " Webinterface : Accepted login for 'admin' role 'admin' from 192.168.1.55 by Web"));
  CHECK(f.auth.factoryPasswordsInUse());
}

TEST_CASE("firewall users log in with their own accounts, logged as in 4.3.1", "[auth]") {
  AuthFixture f;
  config::RowIdGenerator ids(1);
  auto c = config::importProfile(config::Schema::builtin(),
                                 "USERFW_USERS = {\n  { USERNAME = \"fred\" PASSWORD = \"fred-Secret1\" }\n"
                                 "  { USERNAME = \"wilma\" PASSWORD = \"\" }\n}\n// End of configuration profile\n",
                                 f.config, ids);
  REQUIRE(c);
  REQUIRE(config::hashClearPasswords(config::Schema::builtin(), *c));
  CHECK(config::isPasswordHash(c->find("USERFW_USERS")->rows[0].fields.at("PASSWORD").text));
  f.auth.configure(*c);
  auto fw = [&](const std::string& user, const std::string& password, const std::string& source = "10.1.80.200") {
    std::optional<Status> result;
    f.auth.authenticateFirewallUser(user, password, source, [&](Status s) { result.emplace(std::move(s)); });
    test::runUntil(f.io, [&] { return result.has_value(); });
    return *result;
  };
  CHECK(fw("fred", "fred-Secret1"));
  CHECK(f.sink.messages("Webinterface").back() == "Accepted login for firewall user 'fred' from 10.1.80.200");
  CHECK_FALSE(fw("fred", "wrong"));
  CHECK_FALSE(fw("wilma", ""));  // no password: cannot log in
  CHECK_FALSE(fw("admin", "mGuard"));  // the administrators are not firewall users
  CHECK_FALSE(f.login("fred", "fred-Secret1"));  // nor the other way round
  CHECK(f.sink.messages("Webinterface").back() == "Failed login for '*******' role '******' from 192.168.1.55 by Web");
  // Counted apart: a firewall user's success does not clear the failures of
  // the source against the administrators.
  CHECK_FALSE(f.login("admin", "guess1", "10.1.80.201"));
  CHECK_FALSE(f.login("admin", "guess2", "10.1.80.201"));
  CHECK(fw("fred", "fred-Secret1", "10.1.80.201"));
  CHECK_FALSE(f.login("admin", "guess3", "10.1.80.201"));
  CHECK(f.login("admin", "mGuard", "10.1.80.201").error().starts_with("Too many failed logins"));
}

TEST_CASE("a wrong password or an unknown user fails without naming what was typed", "[auth]") {
  AuthFixture f;
  auto wrong = f.login("admin", "mguard");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error() == "Wrong user name or password.");
  CHECK_FALSE(f.login("s3cret-typed-as-name", "x"));
  CHECK_FALSE(f.login("audit", ""));  // disabled until it has a password
  REQUIRE(f.sink.entries.size() == 3);
  for (const auto& e : f.sink.entries) {
    CHECK(e.message == "Failed login for '*******' role '******' from 192.168.1.55 by Web");
  }
}

TEST_CASE("three failures lock the account out, even with the right password", "[auth]") {
  AuthFixture f;
  for (int i = 0; i < 3; ++i) CHECK_FALSE(f.login("admin", "guess" + std::to_string(i)));
  auto locked = f.login("admin", "mGuard", "10.0.0.9");
  REQUIRE_FALSE(locked);
  CHECK(locked.error() == "Too many failed logins; try again in 900 seconds.");
  f.clock.advance(std::chrono::minutes(15));
  CHECK(f.login("admin", "mGuard", "10.0.0.9"));
}

TEST_CASE("the lockout follows LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW and LOGIN_LOCKOUT", "[auth]") {
  AuthFixture f;
  f.config.values["LOGIN_FAILURE_LIMIT"].text = "1";
  f.config.values["LOGIN_LOCKOUT"].text = "00:01:00";
  f.auth.configure(f.config);
  CHECK_FALSE(f.login("admin", "guess"));
  auto locked = f.login("admin", "mGuard", "10.0.0.9");
  REQUIRE_FALSE(locked);
  CHECK(locked.error() == "Too many failed logins; try again in 60 seconds.");
  f.clock.advance(std::chrono::seconds(61));
  CHECK(f.login("admin", "mGuard", "10.0.0.9"));
}

TEST_CASE("a cached credential is neither hashed nor logged again", "[auth]") {
  AuthFixture f;
  REQUIRE(f.login("admin", "mGuard"));
  REQUIRE(f.login("admin", "mGuard"));
  CHECK(f.sink.messages("Webinterface").size() == 1);
  f.clock.advance(std::chrono::seconds(61));  // the cache keeps a credential for a minute
  REQUIRE(f.login("admin", "mGuard"));
  CHECK(f.sink.messages("Webinterface").size() == 2);
}

TEST_CASE("accounts follow the configuration", "[auth]") {
  AuthFixture f;
  auto hash = config::hashPassword("audit-pw");
  REQUIRE(hash);
  f.config.values["AUDIT_PASSWORD"].text = *hash;
  auto admin = config::hashPassword("new-admin");
  auto root = config::hashPassword("new-root");
  f.config.values["WWW_PASSWORD_RAW"].text = *admin;
  f.config.values["ROOT_PASSWORD"].text = *root;
  f.auth.configure(f.config);
  auto audit = f.login("audit", "audit-pw");
  REQUIRE(audit);
  CHECK(audit->role == Role::Audit);
  CHECK_FALSE(f.login("admin", "mGuard"));
  CHECK(f.login("admin", "new-admin"));
  CHECK_FALSE(f.auth.factoryPasswordsInUse());
}

TEST_CASE("the auth module follows configuration changes of the accounts", "[auth]") {
  AuthFixture f;
  AuthModule module(f.workers, f.log, f.clock);
  auto before = std::make_shared<const config::Config>(f.config);
  REQUIRE(module.start(before));
  auto after = std::make_shared<config::Config>(f.config);
  after->values["AUDIT_PASSWORD"].text = *config::hashPassword("audit-pw");
  REQUIRE(module.reconfigure(after, config::diff(config::Schema::builtin(), *before, *after)));
  std::optional<Result<Identity>> result;
  module.authenticator().authenticate("audit", "audit-pw", "127.0.0.1", "Web",
                                      [&](Result<Identity> r) { result.emplace(std::move(r)); });
  test::runUntil(f.io, [&] { return result.has_value(); });
  REQUIRE(*result);
  CHECK((*result)->role == Role::Audit);
}
