#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "auth/sessions.hpp"
#include "board.hpp"
#include "cgi/cgi.hpp"
#include "config/service.hpp"
#include "pki/certificate.hpp"
#include "pki/reference_ca.hpp"
#include "server/http.hpp"
#include "site.hpp"
#include "support/snapshot.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::web;
using auth::Role;
using std::chrono::seconds;

TEST_CASE("URL decoding and queries", "[web]") {
  CHECK(urlDecode("a%20b+c") == "a b c");
  CHECK(urlDecode("a+b", false) == "a+b");
  CHECK(urlDecode("%41%6a") == "Aj");
  CHECK_FALSE(urlDecode("%4"));
  CHECK_FALSE(urlDecode("%"));
  CHECK_FALSE(urlDecode("%zz"));
  auto q = parseQuery("cmd=status&name=Service%201&&x=");
  REQUIRE(q);
  REQUIRE(q->size() == 3);
  CHECK((*q)[1] == std::pair<std::string, std::string>{"name", "Service 1"});
  CHECK((*q)[2].second.empty());
  Request r;
  r.target = "/nph-vpn.cgi?cmd=sysinfo";
  CHECK(r.path() == "/nph-vpn.cgi");
  CHECK(r.query() == "cmd=sysinfo");
  r.target = "/";
  CHECK(r.query().empty());
}

TEST_CASE("Basic credentials and cookies", "[web]") {
  auto b = parseBasic("Basic YWRtaW46bUd1YXJk");  // admin:mGuard
  REQUIRE(b);
  CHECK(b->first == "admin");
  CHECK(b->second == "mGuard");
  auto colon = parseBasic("basic dXNlcjpwYTpzcw==");  // user:pa:ss, the password may hold ':'
  REQUIRE(colon);
  CHECK(colon->second == "pa:ss");
  CHECK_FALSE(parseBasic("Bearer abc"));
  CHECK_FALSE(parseBasic("Basic !!!"));
  CHECK_FALSE(parseBasic("Basic YWRtaW4="));  // no colon
  CHECK(cookieValue("a=1; bulwark_session=xyz; b=2", "bulwark_session") == "xyz");
  CHECK_FALSE(cookieValue("xbulwark_session=1", "bulwark_session"));
}

TEST_CASE("CGI queries are parsed as chapter 11 writes them", "[web][cgi]") {
  using cgi::Script;
  auto up = cgi::parse(Script::Vpn, "name=Athen&cmd=up");
  REQUIRE(up);
  CHECK(up->name == "up");
  CHECK(*up->param("name") == "Athen");
  auto star = cgi::parse(Script::Vpn, "cmd=status&name=*");
  REQUIRE(star);
  CHECK(*star->param("name") == "*");
  CHECK(cgi::parse(Script::Vpn, "cmd=status&channel=10.1.0.0/16:192.168.23.0/24"));
  CHECK(cgi::parse(Script::Vpn, "cmd=synup&name=Service%20Station"));
  CHECK(cgi::parse(Script::Action, "action=switch/reset-phy-counters"));
  CHECK(cgi::parse(Script::Action, "action=fwrules/active&rowid=MAIv123456789"));
  CHECK(cgi::parse(Script::Action, "action=userfw/logout&name=fred&ip=192.168.1.55"));
  CHECK(cgi::parse(Script::Status, "path=/network/ntp_state"));
  CHECK(cgi::parse(Script::Status, "path=%2Fecs%2Fstatus"));

  auto error = [](Script s, std::string_view q) {
    auto r = cgi::parse(s, q);
    return r ? std::string("(parsed)") : r.error();
  };
  CHECK(error(Script::Vpn, "cmd=bogus") == "unknown command 'bogus'");
  CHECK(error(Script::Vpn, "name=x") == "the parameter cmd is missing");
  CHECK(error(Script::Vpn, "cmd=up") == "the parameter name is missing");
  CHECK(error(Script::Vpn, "cmd=up&name=a&name=b") == "the parameter name is given twice");
  CHECK(error(Script::Vpn, "cmd=up&cmd=down&name=a") == "the parameter cmd is given twice");
  CHECK(error(Script::Vpn, "cmd=up&name=a b") == "the character ' ' must be URL-encoded (reference 11.3)");
  CHECK(error(Script::Vpn, "cmd=up&name=a?b") == "the character '?' must be URL-encoded (reference 11.3)");
  CHECK(error(Script::Vpn, "cmd=up&name=%0a") == "the parameter name holds control characters");
  CHECK(error(Script::Vpn, "cmd=up&name=%ff") == "the parameter name holds control characters");
  CHECK(error(Script::Vpn, "cmd=up&name=%zz") == "broken URL encoding");
  CHECK(error(Script::Vpn, "cmd=sysinfo&name=x") == "the parameter name is not used by sysinfo");
  CHECK(error(Script::Vpn, "cmd=up&name=") == "the parameter name is empty");
  CHECK(error(Script::Vpn, "cmd=status&name=a&channel=b") ==
        "give either the parameter name or the parameter channel");
  CHECK(error(Script::Action, "action=fwrules/active") == "give either the parameter name or the parameter rowid");
  CHECK(error(Script::Action, "action=fwrules/active&name=a&rowid=b") ==
        "give either the parameter name or the parameter rowid");
  CHECK(error(Script::Status, "path=/etc/passwd") == "unknown path '/etc/passwd'");
  CHECK(error(Script::Diag, "cmd=Snapshot") == "unknown command 'Snapshot'");
  CHECK(cgi::invalid("x").body == "F EINVAL msg=x\n");
}

TEST_CASE("CGI rights follow table 11-3, 11.6 and 11.7", "[web][cgi]") {
  using cgi::Script;
  auto may = [](Script s, std::string_view q, Role role) { return cgi::allowed(*cgi::parse(s, q), role); };
  for (Role r : {Role::Root, Role::Admin, Role::User}) CHECK(may(Script::Vpn, "cmd=synup&name=a", r));
  for (Role r : {Role::Netadmin, Role::Audit, Role::Mobile}) CHECK_FALSE(may(Script::Vpn, "cmd=up&name=a", r));
  for (Role r : {Role::Root, Role::Admin, Role::User, Role::Netadmin, Role::Audit}) {
    CHECK(may(Script::Vpn, "cmd=status&name=a", r));
    CHECK(may(Script::Vpn, "cmd=sysinfo", r));
  }
  CHECK_FALSE(may(Script::Vpn, "cmd=sysinfo", Role::Mobile));
  CHECK(may(Script::Vpn, "cmd=status&channel=a:b", Role::Admin));
  CHECK_FALSE(may(Script::Vpn, "cmd=status&channel=a:b", Role::User));
  CHECK_FALSE(may(Script::Vpn, "cmd=clear&channel=a:b", Role::Audit));
  CHECK(may(Script::Diag, "cmd=snapshot", Role::Admin));
  CHECK_FALSE(may(Script::Diag, "cmd=snapshot", Role::Audit));
  CHECK_FALSE(may(Script::Diag, "cmd=testpull", Role::User));
  CHECK(may(Script::Action, "action=gsm/sms&dial=1&msg=hi", Role::Mobile));
  CHECK_FALSE(may(Script::Action, "action=switch/purge-arlt", Role::Mobile));
  CHECK_FALSE(may(Script::Action, "action=switch/purge-arlt", Role::Netadmin));
  CHECK(may(Script::Status, "path=/ecs/status", Role::Root));
  CHECK_FALSE(may(Script::Status, "path=/ecs/status", Role::Audit));
  CHECK(cgi::actionName(*cgi::parse(Script::Diag, "cmd=snapshot")) == "tools/snapshot");
  CHECK(cgi::actionName(*cgi::parse(Script::Vpn, "cmd=sysinfo")).empty());
}

namespace {
std::string runCgi(cgi::CgiServices& services, cgi::Script script, std::string_view query) {
  auto command = cgi::parse(script, query);
  REQUIRE(command);
  std::string body;
  cgi::run(*command, services, [&body](Response r) { body = r.body; });
  return body;
}

class FakeSwitch final : public platform::SwitchControl {
 public:
  Status purgeAddressTable() override {
    ++purged;
    return {};
  }
  Status resetPhyCounters() override { return Error{"the switch does not answer"}; }
  int purged = 0;
};
}  // namespace

TEST_CASE("CGI answers in the reference's words", "[web][cgi]") {
  using cgi::Script;
  cgi::CgiServices services;
  services.device = {"bulwark sim", "SIM", "00000000", "0.1.0.default"};
  services.ntpState = [] { return std::string("disabled"); };
  services.ecsStatus = [] { return std::string("1"); };
  CHECK(runCgi(services, Script::Vpn, "cmd=sysinfo") ==
        "mGuardProductName=bulwark sim\nmGuardHardware=SIM\nmGuardHardwareVersion=00000000\n"
        "mGuardVersion=0.1.0.default\n");
  // Without the IPsec service every connection is unknown, never a made-up success.
  CHECK(runCgi(services, Script::Vpn, "cmd=status&name=Service") == "unknown\n");
  CHECK(runCgi(services, Script::Vpn, "cmd=up&name=Service") == "unknown\n");
  CHECK(runCgi(services, Script::Vpn, "cmd=status&name=*").empty());
  CHECK(runCgi(services, Script::Vpn, "cmd=synup&name=Service").starts_with("F ENOENT msg="));
  CHECK(runCgi(services, Script::Diag, "cmd=testpull").starts_with("F ECONFPULL http-code= msg="));
  CHECK(runCgi(services, Script::Status, "path=/network/ntp_state") == "disabled\n");
  CHECK(runCgi(services, Script::Status, "path=/ecs/status") == "1\n");
  CHECK(runCgi(services, Script::Status, "path=/fwrules&name=x").starts_with("F ENOENT msg="));
  CHECK(runCgi(services, Script::Action, "action=switch/purge-arlt") ==
        "F ENOENT msg=This device has no managed switch.\n");
  FakeSwitch fake;
  services.switchControl = &fake;
  CHECK(runCgi(services, Script::Action, "action=switch/purge-arlt") == "OK\n");
  CHECK(fake.purged == 1);
  CHECK(runCgi(services, Script::Action, "action=switch/reset-phy-counters") ==
        "F EIO msg=the switch does not answer\n");
  // Rule records: by name or row id, the service's refusal as the message.
  std::vector<std::string> calls;
  services.setRuleRecord = [&calls](const std::string& name, const std::string& rowid, bool active) -> Status {
    calls.push_back(fmt::format("{}|{}|{}", name, rowid, active));
    if (name == "nothing") return Error{"No firewall rule record is named nothing."};
    return {};
  };
  services.ruleRecordStatus = [](const std::string& name) {
    return name == "r1" ? std::string("/fwrules/MAIv1/expires=0\n/fwrules/MAIv1/state=active\n") : std::string();
  };
  CHECK(runCgi(services, Script::Action, "action=fwrules/active&name=r1") == "OK\n");
  CHECK(runCgi(services, Script::Action, "action=fwrules/inactive&rowid=MAIv1") == "OK\n");
  CHECK(runCgi(services, Script::Action, "action=fwrules/active&name=nothing") ==
        "F ENOENT msg=No firewall rule record is named nothing.\n");
  CHECK(calls == std::vector<std::string>{"r1||true", "|MAIv1|false", "nothing||true"});
  CHECK(runCgi(services, Script::Status, "path=/fwrules&name=r1") ==
        "/fwrules/MAIv1/expires=0\n/fwrules/MAIv1/state=active\n");
  CHECK(runCgi(services, Script::Status, "path=/fwrules&name=r2") ==
        "F ENOENT msg=No firewall rule record is named r2.\n");
  // The user firewall's logout.
  CHECK(runCgi(services, Script::Action, "action=userfw/logout&name=fred&ip=10.1.80.200").starts_with("F ENOENT msg="));
  services.userFirewallLogout = [](const std::string& name, const std::string& ip) -> Status {
    if (name == "fred" && ip == "10.1.80.200") return {};
    return Error{fmt::format("The firewall user {} is not logged in from {}.", name, ip)};
  };
  CHECK(runCgi(services, Script::Action, "action=userfw/logout&name=fred&ip=10.1.80.200") == "OK\n");
  CHECK(runCgi(services, Script::Action, "action=userfw/logout&name=fred&ip=10.1.80.9") ==
        "F ENOENT msg=The firewall user fred is not logged in from 10.1.80.9.\n");
}

TEST_CASE("Web sessions end after the idle timeout and after 12 hours", "[web][auth]") {
  runtime::ManualClock clock(std::chrono::system_clock::now());
  auth::SessionStore store(clock);
  store.setIdleTimeout(seconds(60));
  auth::Identity admin{"admin", Role::Admin};
  std::string first = store.create(admin, "10.0.0.1").id;
  std::string second = store.create(admin, "10.0.0.1").id;
  CHECK(first.size() == 32);
  CHECK(first != second);  // a login always gets a new id
  CHECK(store.create(admin, "x").csrfToken != store.create(admin, "x").csrfToken);
  clock.advance(seconds(50));
  REQUIRE(store.use(first));
  clock.advance(seconds(50));
  CHECK(store.use(first));        // used 50 s ago
  CHECK_FALSE(store.use(second));  // idle for 100 s
  auto expired = store.expire();
  CHECK(expired.size() == 3);  // second and the two "x" sessions
  // Kept busy, it still ends after 12 hours.
  for (int i = 0; i < 13 * 61; ++i) {
    clock.advance(seconds(59));
    if (!store.use(first)) break;
  }
  CHECK_FALSE(store.use(first));
  CHECK(store.remove(first));
  CHECK_FALSE(store.remove(first));
  // Looked at without being used (the LED stream reconnecting): its idle time runs on.
  std::string third = store.create(admin, "10.0.0.1").id;
  clock.advance(seconds(50));
  CHECK(store.peek(third));
  clock.advance(seconds(20));
  CHECK_FALSE(store.peek(third));
  CHECK_FALSE(store.live(third));
}

TEST_CASE("The snapshot archive is a tar.gz that tar reads", "[web][support]") {
  test::TempDir dir;
  std::string big(70000, 'x');
  REQUIRE(support::writeTarGz(dir / "a.tar.gz",
                              {{"snap/config.atv", "A = \"1\"\n"}, {"snap/logs.txt", big},
                               {std::string(120, 'd') + "/long-name.txt", "y"}},
                              1700000000));
  auto list = test::runProcess({"tar", "-tzvf", (dir / "a.tar.gz").string()});
  REQUIRE(list.exitCode == 0);
  CHECK(list.out.find("snap/config.atv") != std::string::npos);
  CHECK(list.out.find("70000") != std::string::npos);
  CHECK(list.out.find(std::string(120, 'd') + "/long-name.txt") != std::string::npos);
  auto extract = test::runProcess({"tar", "-xzf", (dir / "a.tar.gz").string(), "-C", dir.path().string()});
  REQUIRE(extract.exitCode == 0);
  auto cat = test::runProcess({"cat", (dir / "snap/logs.txt").string()});
  CHECK(cat.out == big);
}

TEST_CASE("The snapshot has the synup diagnostics as vpn-diagnostics.txt, and no such file without any",
          "[web][support]") {
  test::TempDir dir;
  support::SnapshotInput input{"snap", "A = \"1\"\n", "uptime=1\n", "bulwark=0\n", dir / "logs.db", ""};
  auto without = support::writeSnapshot(input, dir.path());
  REQUIRE(without);
  auto list = test::runProcess({"tar", "-tzf", without->string()});
  CHECK(list.out == "snap/config.atv\nsnap/runtime.txt\nsnap/versions.txt\nsnap/logs.txt\n");
  input.vpnDiagnostics = "\nP synup name=plant\nF EVTOUT1RESP uptime=1.00 msg=x\n";
  auto with = support::writeSnapshot(input, dir.path());
  REQUIRE(with);
  REQUIRE(test::runProcess({"tar", "-xzf", with->string(), "-C", dir.path().string()}).exitCode == 0);
  CHECK(test::runProcess({"cat", (dir / "snap/vpn-diagnostics.txt").string()}).out == input.vpnDiagnostics);
}

namespace {

// A management site over a real configuration service, on a manual clock.
struct SiteFixture {
  test::TempDir dir;
  boost::asio::io_context io;
  runtime::ManualClock clock{std::chrono::system_clock::now()};
  log::Log log{clock};
  test::MemorySink sink;
  runtime::WorkerPool workers{io, 2, 64};
  runtime::ModuleSet modules;
  std::unique_ptr<config::Store> store;
  std::unique_ptr<config::ConfigService> service;
  auth::Authenticator authenticator{workers, log, clock};
  std::unique_ptr<ManagementSite> site;

  SiteFixture() {
    log.addSink(sink);
    auto s = config::Store::open(dir / "config.db");
    REQUIRE(s);
    store = std::move(*s);
    auto initial = config::ConfigService::loadInitial(*store, config::Schema::builtin());
    REQUIRE(initial);
    service = std::make_unique<config::ConfigService>(workers, *store, log, config::Schema::builtin(), modules,
                                                      std::move(*initial));
    authenticator.configure(*service->snapshot());
    site = std::make_unique<ManagementSite>(
        SiteServices{workers, log, clock, authenticator, *service, dir / "logs.db", dir.path(), {}, {}, {}});
    site->setIdleTimeout(seconds(1800));
  }

  Response call(std::string method, std::string target, std::vector<Header> headers = {}, std::string body = {}) {
    Request r{std::move(method), std::move(target), std::move(headers), std::move(body), {}, "10.0.0.5"};
    std::optional<Response> out;
    site->admit(r, [&](Admission a) {
      if (a.answer) return out.emplace(std::move(*a.answer)), void();
      site->serve(r, a, [&](Response response) { out.emplace(std::move(response)); });
    });
    test::runUntil(io, [&] { return out.has_value(); });
    return std::move(*out);
  }

  // Logs in; yields the session cookie and the CSRF token.
  std::pair<std::string, std::string> login() {
    Response r = call("POST", "/api/v1/login", {{"host", "device"}}, R"({"user":"admin","password":"mGuard"})");
    REQUIRE(r.status == 200);
    std::string cookie;
    for (const Header& h : r.headers) {
      if (h.name == "set-cookie") cookie = h.value.substr(0, h.value.find(';'));
    }
    auto csrf = nlohmann::json::parse(r.body)["csrf"].get<std::string>();
    return {cookie, csrf};
  }
};

}  // namespace

TEST_CASE("A web session ends after WWW_TIMEOUT and the logout is logged", "[web]") {
  SiteFixture f;
  auto [cookie, csrf] = f.login();
  CHECK(f.call("GET", "/api/v1/session", {{"cookie", cookie}}).status == 200);
  f.clock.advance(seconds(1700));
  f.site->expireSessions();
  CHECK(f.call("GET", "/api/v1/session", {{"cookie", cookie}}).status == 200);  // used 1700 s after login
  f.clock.advance(seconds(1801));
  f.site->expireSessions();
  auto lines = f.sink.messages("Webinterface");
  CHECK(std::find(lines.begin(), lines.end(), "Logout for 'admin' role 'admin' from 10.0.0.5 by timeout") !=
        lines.end());
  Response after = f.call("GET", "/api/v1/session", {{"cookie", cookie}});
  CHECK(after.status == 401);
  CHECK(after.body.find("The session has ended") != std::string::npos);
}

TEST_CASE("A session's changes need its CSRF token; the CGI scripts take no cookie", "[web]") {
  SiteFixture f;
  auto [cookie, csrf] = f.login();
  std::string change = R"({"set":{"HOSTNAME":"plant9"}})";
  CHECK(f.call("POST", "/api/v1/config", {{"cookie", cookie}}, change).status == 403);
  // A token one character off (never the token itself, whatever it starts with).
  std::string wrong = (csrf.front() == '0' ? "1" : "0") + csrf.substr(1);
  CHECK(f.call("POST", "/api/v1/config", {{"cookie", cookie}, {"x-csrf-token", wrong}}, change).status == 403);
  CHECK(f.call("POST", "/api/v1/config",
               {{"cookie", cookie}, {"x-csrf-token", csrf}, {"sec-fetch-site", "cross-site"}}, change)
            .status == 403);
  CHECK(f.call("POST", "/api/v1/config", {{"cookie", cookie}, {"x-csrf-token", csrf}}, change).status == 200);
  CHECK(f.service->snapshot()->get("HOSTNAME") == "plant9");
  Response cgi = f.call("GET", "/nph-vpn.cgi?cmd=sysinfo", {{"cookie", cookie}});
  CHECK(cgi.status == 401);
  // A new login is a new session; logging out ends only that one.
  auto [second, secondCsrf] = f.login();
  CHECK(second != cookie);
  CHECK(f.call("POST", "/api/v1/logout", {{"cookie", second}, {"x-csrf-token", secondCsrf}}).status == 200);
  CHECK(f.call("GET", "/api/v1/session", {{"cookie", second}}).status == 401);
  CHECK(f.call("GET", "/api/v1/session", {{"cookie", cookie}}).status == 200);
  // Changing admin's password ends admin's sessions.
  f.site->endSessionsOf("admin");
  CHECK(f.call("GET", "/api/v1/session", {{"cookie", cookie}}).status == 401);
}

TEST_CASE("An answer never repeats a parameter name that is not one", "[web][cgi]") {
  // Found by http_fuzz: a decoded name with a newline was echoed in "holds control characters".
  auto r = cgi::parse(cgi::Script::Vpn, "%0a=%ff&cmd=sysinfo");
  REQUIRE_FALSE(r);
  CHECK(r.error() == "unknown parameter");
  CHECK(cgi::invalid(r.error()).body == "F EINVAL msg=unknown parameter\n");
}

TEST_CASE("CA certificates are uploaded and deleted through the JSON API; bad input changes nothing", "[web][pki]") {
  SiteFixture f;
  std::vector<Header> admin{{"authorization", "Basic YWRtaW46bUd1YXJk"}};  // admin:mGuard
  test::ReferenceCa& ca = test::sharedCa();
  std::string caPem = test::readFile(ca.ca());
  auto upload = [&](const std::string& body) { return f.call("POST", "/api/v1/certificates/ca/plant%20CA/upload", admin, body); };
  auto caRows = [&] {
    const config::Value* table = f.service->snapshot()->find("CA_CERTIFICATES");
    return table ? table->rows.size() : 0;
  };
  auto error = [](const Response& r) { return nlohmann::json::parse(r.body).value("error", ""); };

  Response garbage = upload("not a certificate at all");
  CHECK(garbage.status == 400);
  CHECK(error(garbage) ==
        "The upload is not a certificate in PEM: No PEM certificate found (expected \"-----BEGIN CERTIFICATE-----\").");
  std::string key = ca.clearKey("mGuard");
  Response privateKey = upload(key);
  CHECK(privateKey.status == 400);
  CHECK(error(privateKey).starts_with("The upload is not a certificate in PEM: "));
  CHECK(privateKey.body.find(key.substr(40, 20)) == std::string::npos);
  Response leaf = upload(test::readFile(ca.certificate("mGuard")));
  CHECK(leaf.status == 400);
  CHECK(error(leaf).ends_with("is not a CA certificate (no basicConstraints CA:TRUE); a peer's own certificate is a "
                              "remote certificate (REMOTE_CERTIFICATES)."));
  Response two = upload(caPem + test::readFile(ca.certificate("mGuard")));
  CHECK(two.status == 400);
  CHECK(error(two) == "The upload holds 2 certificates; upload each certificate on its own.");
  Response audit = f.call("POST", "/api/v1/certificates/ca/x/upload", {{"authorization", "Basic YXVkaXQ6eA=="}}, caPem);
  CHECK((audit.status == 401 || audit.status == 403));
  CHECK(caRows() == 0);

  // openssl x509 -text output: the text around the block is dropped.
  Response ok = upload(test::openssl({"x509", "-in", ca.ca(), "-text"}));
  REQUIRE(ok.status == 200);
  std::string rowId = nlohmann::json::parse(ok.body)["rowid"];
  REQUIRE(caRows() == 1);
  const config::Row& row = f.service->snapshot()->find("CA_CERTIFICATES")->rows[0];
  CHECK(row.id == rowId);
  CHECK(row.fields.at("SHORT_NAME").text == "plant CA");
  CHECK(row.fields.at("CERTIFICATE").text == pki::parsePemCertificates(caPem)->front());

  auto list = nlohmann::json::parse(f.call("GET", "/api/v1/certificates", admin).body);
  REQUIRE(list["ca"].size() == 1);
  CHECK(list["ca"][0]["rowid"] == rowId);
  CHECK(list["ca"][0]["name"] == "plant CA");
  CHECK(list["ca"][0]["subject"] == "CN=CA,OU=Support,O=PHOENIX CONTACT Cyber Security AG,C=DE");

  CHECK(f.call("DELETE", "/api/v1/certificates/ca/MAIv999999999", admin).status == 400);
  CHECK(caRows() == 1);
  CHECK(f.call("DELETE", "/api/v1/certificates/ca/" + rowId, admin).status == 200);
  CHECK(caRows() == 0);
}

TEST_CASE("remote certificates (peers' own) are uploaded, listed and deleted through the JSON API; a CA is refused",
          "[web][pki]") {
  SiteFixture f;
  std::vector<Header> admin{{"authorization", "Basic YWRtaW46bUd1YXJk"}};  // admin:mGuard
  test::ReferenceCa& ca = test::sharedCa();
  auto upload = [&](const std::string& body) {
    return f.call("POST", "/api/v1/certificates/remote/peer%201/upload", admin, body);
  };
  auto rows = [&] {
    const config::Value* table = f.service->snapshot()->find("REMOTE_CERTIFICATES");
    return table ? table->rows.size() : 0;
  };
  Response refused = upload(test::readFile(ca.ca()));
  CHECK(refused.status == 400);
  CHECK(nlohmann::json::parse(refused.body).value("error", "").ends_with(
      "is a CA certificate: it goes into CA_CERTIFICATES, and a connection trusts what it issued through "
      "REMOTE_CA_REF."));
  CHECK(rows() == 0);
  Response ok = upload(test::readFile(ca.certificate("other")));
  REQUIRE(ok.status == 200);
  std::string rowId = nlohmann::json::parse(ok.body)["rowid"];
  REQUIRE(rows() == 1);
  CHECK(f.service->snapshot()->find("REMOTE_CERTIFICATES")->rows[0].fields.at("SHORT_NAME").text == "peer 1");
  auto list = nlohmann::json::parse(f.call("GET", "/api/v1/certificates", admin).body);
  REQUIRE(list["remote"].size() == 1);
  CHECK(list["remote"][0]["rowid"] == rowId);
  CHECK(list["remote"][0]["subject"] == "CN=other,OU=Support,O=PHOENIX CONTACT Cyber Security AG,C=DE");
  CHECK(f.call("DELETE", "/api/v1/certificates/remote/" + rowId, admin).status == 200);
  CHECK(rows() == 0);
}
