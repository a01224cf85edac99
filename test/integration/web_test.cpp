// The HTTPS management against a real core: `bulwark init --listen
// 127.0.0.1:0` in a temporary directory, real curl and openssl over TLS, and
// a raw TLS client of our own for what curl cannot do (a slow header, a
// flood of idle connections from many loopback addresses).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

namespace {

using namespace bulwark;
using Clock = std::chrono::steady_clock;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Reply {
  int status = 0;
  std::string body;
  std::string headers;
};

// A core in a temporary directory, listening on a free loopback port.
class Core {
 public:
  // `passwords`: account variable -> clear text, set before the core starts.
  explicit Core(const std::map<std::string, std::string>& passwords = {}) {
    std::filesystem::create_directories(dir_ / "data");
    for (const auto& [variable, password] : passwords) gaiconfig({"--set", variable, password});
    pid_ = test::spawnBackground({test::bulwarkBinary(), "init", "--data-dir", (dir_ / "data").string(), "--run-dir",
                                  (dir_ / "run").string(), "--listen", "127.0.0.1:0", "--console-log"},
                                 dir_ / "core.log");
    std::regex listening("HTTPS management listening on 127\\.0\\.0\\.1:([0-9]+)");
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      std::smatch m;
      std::string log = readFile(dir_ / "core.log");
      if (std::regex_search(log, m, listening) && log.find("started on board") != std::string::npos) {
        port_ = std::stoi(m[1]);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("the core did not start listening:\n" << readFile(dir_ / "core.log"));
  }
  ~Core() {
    if (pid_ > 0) test::stopProcess(pid_, SIGTERM);
  }

  int port() const { return port_; }
  std::string log() const { return readFile(dir_ / "core.log"); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string url(std::string_view target, std::string_view userinfo = {}) const {
    return fmt::format("https://{}{}127.0.0.1:{}{}", userinfo, userinfo.empty() ? "" : "@", port_, target);
  }

  test::ProcessResult gaiconfig(std::vector<std::string> args) const {
    std::vector<std::string> argv{test::bulwarkBinary(), "gaiconfig", "--data-dir", (dir_ / "data").string(),
                                  "--run-dir", (dir_ / "run").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::runProcess(argv);
  }

  // curl with -k; the last line of the output is the status code.
  Reply curl(std::vector<std::string> args, const std::string& input = {}) const {
    std::vector<std::string> argv{"curl", "-sk", "--max-time", "30", "-D", (dir_ / "headers").string(), "-w",
                                  "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = test::runProcess(argv, input);
    Reply reply;
    auto cut = r.out.rfind('\n');
    REQUIRE(cut != std::string::npos);
    reply.status = std::stoi(r.out.substr(cut + 1));
    reply.body = r.out.substr(0, cut);
    reply.headers = readFile(dir_ / "headers");
    return reply;
  }
  Reply get(std::string_view target, std::string_view userinfo = "admin:mGuard") const {
    return curl({url(target, userinfo)});
  }

 private:
  test::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A TLS client bound to a chosen loopback source address.
class RawClient {
 public:
  RawClient(int port, const std::string& source, bool handshake) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0);
    if (!handshake) return;
    ctx_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    REQUIRE(SSL_connect(ssl_) == 1);
  }
  ~RawClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    close(fd_);
  }
  void send(const std::string& text) { REQUIRE(SSL_write(ssl_, text.data(), static_cast<int>(text.size())) > 0); }
  // Reads until the server closes or `limit` passes; true when it closed.
  bool waitClosed(std::chrono::seconds limit, std::string* got = nullptr) {
    auto deadline = Clock::now() + limit;
    char buf[4096];
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (SSL_pending(ssl_) == 0 && poll(&p, 1, 200) == 0) continue;
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) return true;
      if (got) got->append(buf, static_cast<std::size_t>(n));
    }
    return false;
  }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("sysinfo, Basic auth and the login log lines", "[integration][web]") {
  Core core;
  Reply r = core.get("/nph-vpn.cgi?cmd=sysinfo");
  CHECK(r.status == 200);
  CHECK(r.body ==
        "mGuardProductName=bulwark sim\nmGuardHardware=SIM\nmGuardHardwareVersion=00000000\n"
        "mGuardVersion=0.1.0.default\n");
  CHECK(contains(r.headers, "Content-Type: text/plain; charset=utf-8"));
  CHECK(contains(r.headers, "Strict-Transport-Security: max-age="));
  // A URL-encoded user name is decoded by curl into the Basic credentials.
  CHECK(core.get("/nph-vpn.cgi?cmd=sysinfo", "adm%69n:mGuard").status == 200);

  Reply wrong = core.get("/nph-vpn.cgi?cmd=sysinfo", "admin:wrong");
  CHECK(wrong.status == 401);
  CHECK(contains(wrong.headers, "WWW-Authenticate: Basic realm="));
  Reply head = core.curl({"-I", core.url("/nph-vpn.cgi?cmd=sysinfo", "admin:mGuard")});
  CHECK(head.status == 200);
  CHECK(head.body.find("mGuard") == std::string::npos);
  CHECK(contains(head.headers, "Content-Length: 108"));
  Reply nobody = core.get("/nph-vpn.cgi?cmd=sysinfo", "");
  CHECK(nobody.status == 401);

  std::string log = core.log();
  CHECK(contains(log, " Webinterface : Accepted login for 'admin' role 'admin' from 127.0.0.1 by Web\n"));
  CHECK(contains(log, " Webinterface : Failed login for '*******' role '******' from 127.0.0.1 by Web\n"));
  CHECK_FALSE(contains(log, "wrong"));
}

TEST_CASE("Every role against every CGI command", "[integration][web]") {
  Core core({{"NETADMIN_PASSWORD", "netadmin1"},
             {"AUDIT_PASSWORD", "audit1"},
             {"USER_PASSWORD", "user1"},
             {"MOBILE_PASSWORD", "mobile1"}});
  const std::map<std::string, std::string> logins{{"root", "root:root"},          {"admin", "admin:mGuard"},
                                                  {"netadmin", "netadmin:netadmin1"}, {"audit", "audit:audit1"},
                                                  {"user", "user:user1"},         {"mobile", "mobile:mobile1"}};
  struct Case {
    std::string target;
    std::set<std::string> roles;  // who gets 200; the others get 403
  };
  const std::set<std::string> admins{"root", "admin"};
  const std::set<std::string> vpnSwitchers{"root", "admin", "user"};
  const std::set<std::string> readers{"root", "admin", "user", "netadmin", "audit"};
  const std::vector<Case> cases{
      {"/nph-vpn.cgi?cmd=up&name=Service", vpnSwitchers},
      {"/nph-vpn.cgi?cmd=down&name=Service", vpnSwitchers},
      {"/nph-vpn.cgi?cmd=synup&name=Service", vpnSwitchers},
      {"/nph-vpn.cgi?cmd=syndown&name=Service", vpnSwitchers},
      {"/nph-vpn.cgi?cmd=status&name=Service", readers},
      {"/nph-vpn.cgi?cmd=status&name=*", readers},
      {"/nph-vpn.cgi?cmd=status", readers},
      {"/nph-vpn.cgi?cmd=synstat&name=Service", readers},
      {"/nph-vpn.cgi?cmd=sysinfo", readers},
      {"/nph-vpn.cgi?cmd=status&channel=10.1.0.0/16:192.168.23.0/24", admins},
      {"/nph-vpn.cgi?cmd=clear&channel=10.1.0.0/16:192.168.23.0/24", admins},
      {"/nph-diag.cgi?cmd=testpull", admins},
      {"/nph-diag.cgi?cmd=snapshot", admins},
      {"/nph-action.cgi?action=fwrules/active&name=r1", admins},
      {"/nph-action.cgi?action=fwrules/inactive&rowid=MAIv123456789", admins},
      {"/nph-action.cgi?action=vpn/start&name=Service", admins},
      {"/nph-action.cgi?action=vpn/stop&name=Service", admins},
      {"/nph-action.cgi?action=openvpn/start&name=o1", admins},
      {"/nph-action.cgi?action=openvpn/stop&name=o1", admins},
      {"/nph-action.cgi?action=cifsim/check-start&name=s1", admins},
      {"/nph-action.cgi?action=userfw/logout&name=fred&ip=192.168.1.55", admins},
      {"/nph-action.cgi?action=switch/purge-arlt", admins},
      {"/nph-action.cgi?action=switch/reset-phy-counters", admins},
      {"/nph-action.cgi?action=gsm/sms&dial=0123&msg=hello", {"root", "admin", "mobile"}},
      {"/nph-action.cgi?action=gsm/call&dial=0123&timeout=10", {"root", "admin", "mobile"}},
      {"/nph-status.cgi?path=/network/modem/state", admins},
      {"/nph-status.cgi?path=/network/ntp_state", admins},
      {"/nph-status.cgi?path=/system/time_sync", admins},
      {"/nph-status.cgi?path=/ecs/status", admins},
      {"/nph-status.cgi?path=/vpn/con&name=Service", admins},
      {"/nph-status.cgi?path=/fwrules&name=r1", admins},
      {"/nph-status.cgi?path=/cifs/im&name=s1", admins},
  };
  for (const auto& [role, login] : logins) {
    // One curl, one keep-alive connection, every command.
    std::vector<std::string> args{"-w", "%{http_code}\n"};
    for (const Case& c : cases) {
      args.push_back("-o");
      args.push_back("/dev/null");
      args.push_back(core.url(c.target, login));
    }
    auto run = test::runProcess([&] {
      std::vector<std::string> argv{"curl", "-sk"};
      argv.insert(argv.end(), args.begin(), args.end());
      return argv;
    }());
    std::istringstream codes(run.out);
    for (const Case& c : cases) {
      std::string code;
      std::getline(codes, code);
      INFO(role << " " << c.target);
      CHECK(code == (c.roles.count(role) ? "200" : "403"));
    }
  }
  // The API's reading routes: every WBM role reads, snapshot and profile
  // downloads are for root and admin, user and mobile have no WBM at all.
  const std::set<std::string> wbm{"root", "admin", "netadmin", "audit"};
  const std::vector<Case> routes{
      {"/api/v1/status", wbm},        {"/api/v1/schema", wbm},   {"/api/v1/config", wbm},
      {"/api/v1/config/HOSTNAME", wbm}, {"/api/v1/profiles", wbm}, {"/api/v1/logs?limit=3", wbm},
      {"/api/v1/certificates", wbm},  {"/api/v1/session", wbm},  {"/api/v1/compare?from=&to=Factory%20Default", wbm},
      {"/api/v1/snapshot", admins},   {"/api/v1/profiles/Factory%20Default", admins},
  };
  for (const auto& [role, login] : logins) {
    for (const Case& c : routes) {
      INFO(role << " " << c.target);
      CHECK(core.get(c.target, login).status == (c.roles.count(role) ? 200 : 403));
    }
  }
  for (const Case& c : routes) CHECK(core.get(c.target, "").status == 401);

  // The answers of commands whose room is not built say so.
  CHECK(core.get("/nph-vpn.cgi?cmd=status&name=Service").body == "unknown\n");
  CHECK(core.get("/nph-vpn.cgi?cmd=synup&name=Service").body.starts_with("F ENOENT msg="));
  CHECK(core.get("/nph-status.cgi?path=/network/ntp_state").body == "disabled\n");
  CHECK(core.get("/nph-status.cgi?path=/ecs/status").body == "1\n");
  CHECK(core.get("/nph-vpn.cgi?cmd=bogus").body == "F EINVAL msg=unknown command 'bogus'\n");
  CHECK(core.get("/nph-vpn.cgi?cmd=up&name=a<b").body ==
        "F EINVAL msg=the character '<' must be URL-encoded (reference 11.3)\n");
  // audit may ask for the status but not take a snapshot.
  CHECK(core.get("/nph-vpn.cgi?cmd=status", "audit:audit1").status == 200);
  CHECK(core.get("/nph-diag.cgi?cmd=snapshot", "audit:audit1").status == 403);
  // Roles user and mobile have no web interface.
  CHECK(core.get("/api/v1/status", "user:user1").status == 403);
}

TEST_CASE("Three failed logins lock the user and the source, also on one keep-alive connection",
          "[integration][web]") {
  Core core;
  std::string url = core.url("/nph-vpn.cgi?cmd=sysinfo");
  auto run = test::runProcess({"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", "-u",
                               "admin:bad1", url, "--next", "-k", "-o", "/dev/null", "-w",
                               "%{http_code} %{num_connects}\n", "-u", "admin:bad2", url, "--next", "-k", "-o",
                               "/dev/null", "-w", "%{http_code} %{num_connects}\n", "-u", "admin:bad3", url, "--next",
                               "-k", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", "-u", "admin:mGuard",
                               url});
  // Four answers over one connection: 1 connect, then 0 new connects.
  CHECK(run.out == "401 1\n401 0\n401 0\n401 0\n");
  CHECK(core.get("/nph-vpn.cgi?cmd=sysinfo").status == 401);
  CHECK(core.get("/nph-vpn.cgi?cmd=sysinfo", "root:root").status == 401);  // the source waits too
}

TEST_CASE("Sessions of the WBM: login, CSRF, logout", "[integration][web]") {
  Core core;
  std::string jar = (core.dir() / "cookies").string();
  Reply page = core.curl({core.url("/")});
  CHECK(page.status == 200);
  CHECK(contains(page.body, "<script src=\"/app.js\""));
  CHECK(contains(page.headers, "Content-Security-Policy: default-src 'self'"));

  CHECK(core.curl({"-c", jar, "-H", "Content-Type: application/json", "--data-binary",
                   R"({"user":"admin","password":"nope"})", core.url("/api/v1/login")})
            .status == 401);
  Reply login = core.curl({"-c", jar, "-H", "Content-Type: application/json", "--data-binary",
                           R"({"user":"admin","password":"mGuard"})", core.url("/api/v1/login")});
  REQUIRE(login.status == 200);
  CHECK(std::regex_search(login.headers, std::regex("Set-Cookie: bulwark_session=[0-9a-f]{32}; Path=/; Max-Age=43200; "
                                                    "Secure; HttpOnly; SameSite=Strict")));
  std::smatch m;
  REQUIRE(std::regex_search(login.body, m, std::regex("\"csrf\":\"([0-9a-f]{32})\"")));
  std::string csrf = m[1];

  Reply status = core.curl({"-b", jar, core.url("/api/v1/status")});
  CHECK(status.status == 200);
  CHECK(contains(status.body, "\"hostname\":\"bulwark\""));
  CHECK(contains(status.body, "\"factory_passwords\":true"));

  std::string change = R"({"set":{"WWW_TIMEOUT":"900"}})";
  CHECK(core.curl({"-b", jar, "--data-binary", change, core.url("/api/v1/config")}).status == 403);
  CHECK(core.curl({"-b", jar, "-H", "X-CSRF-Token: " + std::string(32, '0'), "--data-binary", change,
                   core.url("/api/v1/config")})
            .status == 403);
  CHECK(core.curl({"-b", jar, "-H", "X-CSRF-Token: " + csrf, "-H", "Origin: https://evil.example", "--data-binary",
                   change, core.url("/api/v1/config")})
            .status == 403);
  CHECK(core.gaiconfig({"--get", "WWW_TIMEOUT"}).out == "1800\n");
  Reply changed = core.curl({"-b", jar, "-H", "X-CSRF-Token: " + csrf, "--data-binary", change,
                             core.url("/api/v1/config")});
  CHECK(changed.status == 200);
  CHECK(core.gaiconfig({"--get", "WWW_TIMEOUT"}).out == "900\n");

  CHECK(core.curl({"-b", jar, "-H", "X-CSRF-Token: " + csrf, "-X", "POST", core.url("/api/v1/logout")}).status ==
        200);
  CHECK(core.curl({"-b", jar, core.url("/api/v1/status")}).status == 401);
  std::string log = core.log();
  CHECK(contains(log, "Logout for 'admin' role 'admin' from 127.0.0.1 by Web"));
  CHECK(contains(log, "maid"));  // the change was logged with its user
}

TEST_CASE("The JSON API: schema, values, rights, profiles and logs", "[integration][web]") {
  Core core({{"NETADMIN_PASSWORD", "netadmin1"}, {"AUDIT_PASSWORD", "audit1"}});
  std::string admin = "admin:mGuard";
  Reply schema = core.get("/api/v1/schema");
  CHECK(schema.status == 200);
  CHECK(contains(schema.body, "\"name\":\"WWW_TIMEOUT\""));
  Reply values = core.get("/api/v1/config");
  CHECK(contains(values.body, "\"WWW_PASSWORD_RAW\":null"));  // not even the hash
  CHECK(core.get("/api/v1/config/NTP_SERVERS:0").body.find("pool.ntp.org") != std::string::npos);
  CHECK(core.get("/api/v1/config/NO_SUCH").status == 404);

  auto post = [&](const std::string& login, const std::string& body) {
    return core.curl({"-u", login, "--data-binary", body, core.url("/api/v1/config")});
  };
  Reply bad = post(admin, R"({"set":{"WWW_TIMEOUT":"abc"}})");
  CHECK(bad.status == 400);
  CHECK(contains(bad.body, "\"path\":\"WWW_TIMEOUT\""));
  CHECK(post(admin, R"({"set":{"NTP_SERVERS":[{"NTP_SERVER":"ntp1.example"},{"NTP_SERVER":"ntp2.example"}]}})")
            .status == 200);
  CHECK(core.gaiconfig({"--get", "NTP_SERVERS:1.NTP_SERVER"}).out == "ntp2.example\n");
  CHECK(post("netadmin:netadmin1", R"({"set":{"HOSTNAME":"plant7"}})").status == 200);
  CHECK(post("netadmin:netadmin1", R"({"set":{"WWW_TIMEOUT":"600"}})").status == 403);
  CHECK(post("audit:audit1", R"({"set":{"HOSTNAME":"x"}})").status == 403);
  CHECK(core.gaiconfig({"--get", "HOSTNAME"}).out == "plant7\n");

  CHECK(core.curl({"-u", admin, "-X", "POST", core.url("/api/v1/profiles/first/save")}).status == 200);
  Reply list = core.get("/api/v1/profiles");
  CHECK(contains(list.body, "\"name\":\"first\""));
  Reply download = core.get("/api/v1/profiles/first");
  CHECK(download.status == 200);
  CHECK(contains(download.body, "HOSTNAME = \"plant7\""));
  CHECK(core.get("/api/v1/profiles/first", "audit:audit1").status == 403);
  std::string edited = std::regex_replace(download.body, std::regex("plant7"), "plant8");
  CHECK(core.curl({"-u", admin, "--data-binary", "@-", core.url("/api/v1/profiles/second%20one/upload")}, edited)
            .status == 200);
  CHECK(core.curl({"-u", admin, "-X", "POST", core.url("/api/v1/profiles/second%20one/restore")}).status == 200);
  CHECK(core.gaiconfig({"--get", "HOSTNAME"}).out == "plant8\n");
  Reply compare = core.get("/api/v1/compare?from=first&to=second%20one");
  CHECK(contains(compare.body, "plant7"));
  CHECK(core.curl({"-u", admin, "-X", "DELETE", core.url("/api/v1/profiles/first")}).status == 200);
  CHECK_FALSE(contains(core.get("/api/v1/profiles").body, "\"name\":\"first\""));
  CHECK(core.curl({"-u", admin, "--data-binary", "GARBAGE", core.url("/api/v1/profiles/bad/upload")}).status == 400);

  Reply logs = core.get("/api/v1/logs?tag=action&limit=5");
  CHECK(logs.status == 200);
  CHECK(contains(logs.body, "action : admin:admin performed the action 'profile/restore' via Webinterface"));
  CHECK(core.get("/api/v1/logs?since=yesterday").status == 400);
}

TEST_CASE("GET /api/v1/leds answers what the LEDs show; ?follow=1 streams each change as a server-sent event",
          "[integration][web]") {
  Core core;
  Reply now = core.get("/api/v1/leds");
  REQUIRE(now.status == 200);
  CHECK(contains(now.headers, "application/json"));
  CHECK(contains(now.body, R"({"name":"STAT","pattern":)"));
  CHECK(core.get("/api/v1/leds?follow=yes").status == 400);
  CHECK(core.get("/api/v1/leds", "admin:wrong").status == 401);

  std::filesystem::path events = core.dir() / "events";
  pid_t curl = test::spawnBackground(
      {"curl", "-sNk", "--max-time", "60", "-u", "admin:mGuard", core.url("/api/v1/leds?follow=1")}, events);
  // The pattern of `led` in the last complete event, "" before there is one.
  auto lastPattern = [&](const std::string& led) {
    std::string text = readFile(events);
    auto end = text.rfind("\n\n");
    if (end == std::string::npos) return std::string();
    auto start = text.rfind("event: leds\ndata: ", end);
    if (start == std::string::npos) return std::string();
    start += std::string_view("event: leds\ndata: ").size();
    auto doc = nlohmann::json::parse(text.substr(start, end - start));
    for (const auto& l : doc["leds"]) {
      if (l["name"] == led) return l["pattern"].get<std::string>();
    }
    return std::string("(no such LED)");
  };
  auto eventually = [&](const std::string& led, const std::string& pattern) {
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline && lastPattern(led) != pattern) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return lastPattern(led);
  };
  // Booting holds STAT on for 12 s from the start, then the heartbeat shows;
  // FAULT stays on: the factory passwords are in use (PASSWORD_CHECK).
  CHECK(eventually("STAT", "heartbeat") == "heartbeat");
  CHECK(lastPattern("FAULT") == "on");
  CHECK(contains(readFile(events), "event: leds\ndata: {\"leds\":[{\"name\":\"P1\",\"pattern\":"));
  // A change of the configuration is the next event.
  CHECK(core.curl({"-u", "admin:mGuard", "--data-binary", R"({"set":{"PASSWORD_CHECK":"ignore"}})",
                   core.url("/api/v1/config")})
            .status == 200);
  CHECK(eventually("FAULT", "off") == "off");
  test::stopProcess(curl, SIGTERM);
}

TEST_CASE("The snapshot holds configuration, versions and logs, and no secret", "[integration][web]") {
  Core core;
  std::string file = (core.dir() / "snapshot.tar.gz").string();
  Reply r = core.curl({"-o", file, core.url("/nph-diag.cgi?cmd=snapshot", "admin:mGuard")});
  CHECK(r.status == 200);
  CHECK(contains(r.headers, "Content-Type: application/gzip"));
  auto out = core.dir() / "unpacked";
  std::filesystem::create_directories(out);
  REQUIRE(test::runProcess({"tar", "-xzf", file, "-C", out.string()}).exitCode == 0);
  std::string all;
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    all += readFile(entry.path());
  }
  CHECK(files == 4);
  CHECK(contains(all, "WWW_TIMEOUT = \"1800\""));
  CHECK(contains(all, "WWW_PASSWORD_RAW = \"\""));
  CHECK(contains(all, "mGuardVersion=0.1.0.default"));
  CHECK(contains(all, "Accepted login for 'admin'"));
  CHECK_FALSE(contains(all, "$6$"));
  CHECK_FALSE(contains(all, "$y$"));
  CHECK_FALSE(contains(all, "PRIVATE KEY"));
  CHECK(contains(core.log(), "action : admin:admin performed the action 'tools/snapshot' via Webinterface"));
}

TEST_CASE("TLS: 1.2 or newer, ECDHE with AEAD ciphers only", "[integration][web]") {
  Core core;
  std::string connect = fmt::format("127.0.0.1:{}", core.port());
  auto modern = test::runProcess({"openssl", "s_client", "-connect", connect, "-tls1_2"});
  CHECK(contains(modern.out, "Cipher is ECDHE-ECDSA-"));
  auto old = test::runProcess(
      {"openssl", "s_client", "-connect", connect, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"});
  CHECK(old.exitCode != 0);
  CHECK(contains(old.out, "Cipher is (NONE)"));
  auto cbc = test::runProcess({"openssl", "s_client", "-connect", connect, "-tls1_2", "-cipher", "AES128-SHA"});
  CHECK(cbc.exitCode != 0);
  // The device certificate: ECDSA P-256, the serial in the subject.
  auto cert = test::runProcess({"openssl", "x509", "-noout", "-subject", "-text", "-in",
                                (core.dir() / "data" / "pki" / "device.crt").string()});
  std::string serial = readFile(core.dir() / "data" / "serial");
  serial.pop_back();
  CHECK(contains(cert.out, "CN = " + serial));
  CHECK(contains(cert.out, "prime256v1"));
}

TEST_CASE("Request limits: header, fields, request line, body before authentication", "[integration][web]") {
  Core core;
  std::string url = core.url("/nph-vpn.cgi?cmd=sysinfo", "admin:mGuard");
  CHECK(core.curl({"-H", "X-Big: " + std::string(9000, 'a'), url}).status == 431);
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) {
    many.push_back("-H");
    many.push_back(fmt::format("X-F{}: v", i));
  }
  many.push_back(url);
  CHECK(core.curl(many).status == 431);
  CHECK(core.curl({core.url("/nph-vpn.cgi?cmd=sysinfo&x=" + std::string(3000, 'a'), "admin:mGuard")}).status == 414);
  CHECK(core.curl({"--data-binary", "@-", core.url("/api/v1/login")}, std::string(5000, 'x')).status == 413);
  CHECK(core.get("/nph-vpn.cgi?cmd=sysinfo").status == 200);  // and the server is fine
}

TEST_CASE("A slow header is cut off; a flood of idle connections does not lock out the admin",
          "[integration][web]") {
  Core core;
  auto started = Clock::now();
  RawClient slow(core.port(), "127.0.0.1", true);
  slow.send("GET /nph-vpn.cgi?cmd=sysinfo HTTP/1.1\r\nHost: x\r\n");
  CHECK(slow.waitClosed(std::chrono::seconds(30)));
  CHECK(Clock::now() - started >= std::chrono::seconds(8));  // the 10 s header deadline, not an error

  CHECK(core.get("/nph-vpn.cgi?cmd=sysinfo").status == 200);  // 127.0.0.1 has logged in
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 150; ++i) {
    flood.push_back(std::make_unique<RawClient>(core.port(), fmt::format("127.0.{}.{}", 1 + i / 200, 2 + i % 200),
                                                false));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(core.get("/nph-vpn.cgi?cmd=sysinfo").status == 200);
  // A source that never logged in gets a place too.
  auto run = test::runProcess({"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.9.9",
                               core.url("/nph-vpn.cgi?cmd=sysinfo", "admin:mGuard")});
  CHECK(run.out == "200");
}

TEST_CASE("A machine certificate uploaded as PKCS#12 becomes the server's certificate", "[integration][web]") {
  Core core;
  auto dir = core.dir();
  // Made as an operator would, with the openssl command line.
  REQUIRE(test::runProcess({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", (dir / "m.key").string(), "-out", (dir / "m.crt").string(), "-days",
                            "30", "-subj", "/CN=plant7.example/O=Plant 7"})
              .exitCode == 0);
  REQUIRE(test::runProcess({"openssl", "pkcs12", "-export", "-in", (dir / "m.crt").string(), "-inkey",
                            (dir / "m.key").string(), "-out", (dir / "m.p12").string(), "-passout", "pass:p12pass"})
              .exitCode == 0);
  std::string p12 = "@" + (dir / "m.p12").string();
  auto upload = [&](const std::string& password) {
    return core.curl({"-u", "admin:mGuard", "-H", "X-Pkcs12-Password: " + password, "--data-binary", p12,
                      core.url("/api/v1/certificates/machine/plant7/upload")});
  };
  Reply wrong = upload("nope");
  CHECK(wrong.status == 400);
  CHECK(contains(wrong.body, "Wrong password"));
  CHECK(core.curl({"-u", "audit:x", "--data-binary", p12, core.url("/api/v1/certificates/machine/x/upload")})
            .status == 401);
  Reply ok = upload("p12pass");
  REQUIRE(ok.status == 200);
  std::smatch m;
  REQUIRE(std::regex_search(ok.body, m, std::regex("\"rowid\":\"(MAIv[0-9]+)\"")));
  std::string rowId = m[1];
  Reply list = core.get("/api/v1/certificates");
  CHECK(contains(list.body, "CN=plant7.example"));
  CHECK(contains(list.body, "\"name\":\"plant7\""));

  auto subject = [&] {
    auto r = test::runProcess({"openssl", "s_client", "-connect", fmt::format("127.0.0.1:{}", core.port())});
    return r.out;
  };
  CHECK(contains(subject(), "CN = " + readFile(core.dir() / "data" / "serial").substr(0, 10)));
  CHECK(core.curl({"-u", "admin:mGuard", "--data-binary", R"({"set":{"HTTPS_SERVER_CERT_REF":")" + rowId + "\"}}",
                   core.url("/api/v1/config")})
            .status == 200);
  CHECK(contains(subject(), "subject=CN = plant7.example, O = Plant 7"));
  // In use: the row cannot go.
  CHECK(core.curl({"-u", "admin:mGuard", "-X", "DELETE", core.url("/api/v1/certificates/machine/" + rowId)}).status ==
        400);
  CHECK(core.curl({"-u", "admin:mGuard", "--data-binary", R"({"set":{"HTTPS_SERVER_CERT_REF":""}})",
                   core.url("/api/v1/config")})
            .status == 200);
  CHECK(core.curl({"-u", "admin:mGuard", "-X", "DELETE", core.url("/api/v1/certificates/machine/" + rowId)}).status ==
        200);
  CHECK_FALSE(std::filesystem::exists(core.dir() / "data" / "pki" / "machine" / (rowId + ".key")));
  CHECK(contains(subject(), "CN = " + readFile(core.dir() / "data" / "serial").substr(0, 10)));
}
