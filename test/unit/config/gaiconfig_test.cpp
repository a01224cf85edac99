// gaiconfig as a subprocess, on the store directly and against a running core.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "runtime/control_socket.hpp"
#include "support/support.hpp"

using namespace bulwark;

namespace {

struct Gaiconfig {
  test::TempDir dir;
  std::string data = (dir / "data").string();
  std::string run = (dir / "run").string();
  Gaiconfig() { std::filesystem::create_directory(data); }

  test::ProcessResult operator()(std::vector<std::string> args, const std::string& input = {}) const {
    std::vector<std::string> argv{test::bulwarkBinary(), "gaiconfig", "--data-dir", data, "--run-dir", run};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::runProcess(argv, input);
  }
};

// True once a core answers a request on `run`/bulwark.sock (the socket file
// appears a moment before the core is fully up).
bool waitUntilAnswering(const std::string& run) {
  for (int i = 0; i < 500; ++i) {
    // Straight to the socket: gaiconfig would fall back to the store.
    bool unavailable = false;
    auto reply = runtime::controlRequest(std::filesystem::path(run) / "bulwark.sock",
                                         R"({"op":"get","path":"WWW_TIMEOUT"})", unavailable);
    if (reply && reply->find("\"ok\":true") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Runs `bulwark init` in the fixture's directories until destroyed.
struct RunningCore {
  explicit RunningCore(const Gaiconfig& g) {
    pid = test::spawnBackground({test::bulwarkBinary(), "init", "--data-dir", g.data, "--run-dir", g.run},
                                g.dir / "core.log");
    if (!waitUntilAnswering(g.run)) {
      // A failed REQUIRE in a constructor skips the destructor: stop the core here.
      test::stopProcess(pid, SIGKILL);
      pid = -1;
      FAIL("the core did not answer on " + g.run);
    }
  }
  ~RunningCore() {
    if (pid > 0) test::stopProcess(pid, SIGTERM);
  }
  pid_t pid = -1;
};

void checkCommands(const Gaiconfig& g) {
  auto r = g({"--get", "WWW_TIMEOUT"});
  CHECK(r.exitCode == 0);
  CHECK(r.out == "1800\n");
  CHECK(r.err.empty());

  r = g({"--set", "WWW_TIMEOUT", "900"});
  CHECK(r.exitCode == 0);
  CHECK(g({"--get", "WWW_TIMEOUT"}).out == "900\n");

  r = g({"--set", "WWW_TIMEOUT", "12"});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: Error for WWW_TIMEOUT=\"12\": The value must be an integer from 30 to 86400.\n");
  CHECK(g({"--get", "WWW_TIMEOUT"}).out == "900\n");

  r = g({"--set", "HTTPS_SERVER_CERT_REF", ""});
  CHECK(r.exitCode == 0);
  r = g({"--set", "FW_OUTGOING:0.COMMENT", "--not an option, -1"});
  CHECK(r.exitCode == 0);
  CHECK(g({"--get", "FW_OUTGOING:0.COMMENT"}).out == "--not an option, -1\n");
  r = g({"--set", "WWW_TIMEOUT"});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: --set takes NAME and VALUE\n");

  r = g({"--goto", "NTP_SERVERS:0", "--get-rowid"});
  CHECK(r.exitCode == 0);
  CHECK(r.out == "MAIv100000001\n");
  r = g({"--goto", "NTP_SERVERS:3", "--get-rowid"});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: NTP_SERVERS has no row 3 (it has 1).\n");

  // Export, then import back: nothing changes.
  auto exported = g({"--get-all"});
  REQUIRE(exported.exitCode == 0);
  CHECK(exported.out.ends_with("// End of configuration profile\n"));
  r = g({"--set-all"}, exported.out);
  CHECK(r.exitCode == 0);
  CHECK(g({"--get-all"}).out == exported.out);

  // A malformed profile is refused with line, column and reason; nothing changes.
  r = g({"--set-all"}, "WWW_LANGUAGE = \"de\"\nWWW_TIMEOUT = \"abc\"\n// End of configuration profile\n");
  CHECK(r.exitCode == 1);
  CHECK(r.err ==
        "gaiconfig: line 2, column 15: Error for WWW_TIMEOUT=\"abc\": The value must be an integer from 30 to "
        "86400.\n");
  r = g({"--set-all"}, "WWW_LANGUAGE = \"de\"\r\n// End of configuration profile\r\n");
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("Windows line endings") != std::string::npos);
  CHECK(g({"--get-all"}).out == exported.out);

  // The preconfig rollout of reference 2.19: --silent --set-all, and --factory-default.
  r = g({"--silent", "--set-all"}, "PORT_MIRROR_RECEIVER = \"swp2\"\n// End of configuration profile\n");
  CHECK(r.exitCode == 0);
  CHECK(r.err.empty());
  CHECK(g({"--get", "MIRROR_RECEIVER"}).out == "swp2\n");
  CHECK(g({"--get", "WWW_TIMEOUT"}).out == "900\n");
  r = g({"--factory-default", "--setall"}, "WWW_LANGUAGE = \"de\"\n// End of configuration profile\n");
  CHECK(r.exitCode == 0);
  CHECK(g({"--get", "WWW_TIMEOUT"}).out == "1800\n");
  CHECK(g({"--get", "WWW_LANGUAGE"}).out == "de\n");

  // Profiles.
  CHECK(g({"--profile-save", "mine"}).exitCode == 0);
  CHECK(g({"--set", "WWW_LANGUAGE", "en"}).exitCode == 0);
  r = g({"--diff", "mine"});
  CHECK(r.exitCode == 0);
  CHECK(r.out == "WWW_LANGUAGE: 'en' -> 'de'\n");
  r = g({"--profile-list"});
  CHECK(r.out.starts_with("Factory Default\t"));
  CHECK(r.out.find("\nmine\t") != std::string::npos);

  // Usage errors.
  r = g({});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: no command given (see --help)\n");
  r = g({"--get", "A", "--get-all"});
  CHECK(r.exitCode == 1);
  CHECK(g({"--help"}).out.find("--set-all") != std::string::npos);
}

}  // namespace

TEST_CASE("gaiconfig works on the store directly when no core runs", "[gaiconfig]") {
  Gaiconfig g;
  checkCommands(g);
  CHECK(std::filesystem::exists(std::filesystem::path(g.data) / "config.db"));
  auto log = test::runProcess({test::bulwarkBinary(), "log", "--data-dir", g.data, "--tag", "maid"});
  CHECK(log.exitCode == 0);
  CHECK(log.out.find("maid[") != std::string::npos);
  CHECK(log.out.find("]: WWW_TIMEOUT set to '900'\n") != std::string::npos);
}

TEST_CASE("gaiconfig talks to the running core over the control socket", "[gaiconfig]") {
  Gaiconfig g;
  RunningCore core(g);
  checkCommands(g);
  // The change log is written by the core, with the core's pid; its writes
  // are batched, so the line shows up shortly after the change.
  std::string wanted = "maid[" + std::to_string(core.pid) + "]: WWW_TIMEOUT set to '900'";
  test::ProcessResult log;
  for (int i = 0; i < 100 && log.out.find(wanted) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    log = test::runProcess({test::bulwarkBinary(), "log", "--data-dir", g.data, "--grep", "WWW_TIMEOUT set to '900'"});
  }
  CHECK(log.out.find(wanted) != std::string::npos);
}

TEST_CASE("the store is never used by the core and gaiconfig at once", "[gaiconfig]") {
  Gaiconfig g;
  RunningCore core(g);
  // A gaiconfig that cannot reach the socket must not fall back to the store.
  auto r = test::runProcess({test::bulwarkBinary(), "gaiconfig", "--data-dir", g.data, "--run-dir",
                             (g.dir / "elsewhere").string(), "--set", "WWW_TIMEOUT", "600"});
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("is in use (pid " + std::to_string(core.pid) + ")") != std::string::npos);
  // A second core does not start on the same data directory.
  auto second = test::runProcess({test::bulwarkBinary(), "init", "--data-dir", g.data, "--run-dir",
                                  (g.dir / "run2").string()});
  CHECK(second.exitCode == 1);
  CHECK(second.err.find("is in use") != std::string::npos);
}

TEST_CASE("bytes that are not UTF-8 are refused, never replaced", "[gaiconfig]") {
  Gaiconfig g;
  auto r = g({"--set", "HOSTNAME", "B\xfc" "ro"});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: Error for HOSTNAME=\"...\": The value is not valid UTF-8.\n");
  r = g({"--set-all"}, "HOSTNAME = \"ok\"\nWWW_LANGUAGE = \"d\xff" "e\"\n// End of configuration profile\n");
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: line 2, column 18: The profile is not valid UTF-8.\n");
  r = g({"--profile-import", "p"}, "HOSTNAME = \"\xc3\x28\"\n// End of configuration profile\n");
  CHECK(r.exitCode == 1);
  CHECK(g({"--get", "HOSTNAME"}).out == "bulwark\n");
  CHECK(g({"--profile-list"}).out.find("\np\t") == std::string::npos);
  // Real UTF-8 passes untouched.
  REQUIRE(g({"--set", "FW_OUTGOING:0.COMMENT", "Büro – Linie 3"}).exitCode == 0);
  CHECK(g({"--get", "FW_OUTGOING:0.COMMENT"}).out == "Büro – Linie 3\n");
}

TEST_CASE("error messages stay on one line", "[gaiconfig]") {
  Gaiconfig g;
  auto r = g({"--set", "HOSTNAME", "a\nb\x01" ""});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: Error for HOSTNAME=\"a\\nb\\x01\": The value must not contain control characters.\n");
}

TEST_CASE("direct-mode gaiconfig calls at the same time wait for each other", "[gaiconfig]") {
  Gaiconfig g;
  std::vector<pid_t> pids;
  for (int i = 0; i < 4; ++i) {
    pids.push_back(test::spawnBackground({test::bulwarkBinary(), "gaiconfig", "--data-dir", g.data, "--run-dir", g.run,
                                          "--set", "WWW_TIMEOUT", std::to_string(100 + i)},
                                         g.dir / ("gaiconfig-" + std::to_string(i) + ".log")));
  }
  std::vector<int> codes;
  for (pid_t pid : pids) codes.push_back(test::waitProcess(pid));
  CHECK(codes == std::vector<int>{0, 0, 0, 0});
  auto log = test::runProcess({test::bulwarkBinary(), "log", "--data-dir", g.data, "--grep", "WWW_TIMEOUT set to"});
  CHECK(std::count(log.out.begin(), log.out.end(), '\n') == 4);
}

TEST_CASE("a profile close to 16 MiB travels over the control socket", "[gaiconfig]") {
  Gaiconfig g;
  RunningCore core(g);
  // Rows in canonical form, with comments full of quotes: every \" of the
  // profile becomes four bytes in JSON, so the request is far above 16 MiB.
  std::string comment;
  for (int i = 0; i < 120; ++i) comment += "\\\"";
  std::string rows;
  for (int i = 0; rows.size() < 15 * 1024 * 1024; ++i) {
    rows += "  {\n    ROWID = \"MAIv" + std::to_string(200000000 + i) + "\"\n    COMMENT = \"" + comment +
            "\"\n    DST_IP = \"0.0.0.0/0\"\n    DST_PORT = \"any\"\n    LOG = \"no\"\n    PROTO = \"all\"\n"
            "    SRC_IP = \"0.0.0.0/0\"\n    SRC_PORT = \"any\"\n    TARGET = \"accept\"\n  }\n";
  }
  std::string profile = "FW_INCOMING = {\n" + rows + "}\n// End of configuration profile\n";
  auto r = g({"--set-all"}, profile);
  CHECK(r.err == "");
  REQUIRE(r.exitCode == 0);
  auto exported = g({"--get-all"});
  CHECK(exported.err == "");
  CHECK(exported.exitCode == 0);
  CHECK(exported.out.find("FW_INCOMING = {\n" + rows + "}\n") != std::string::npos);
}

TEST_CASE("two cores never share a run directory, and requests reach the core of their data directory", "[gaiconfig]") {
  Gaiconfig a;
  RunningCore core(a);
  test::TempDir other;
  std::filesystem::create_directory(other / "data");
  auto second = test::runProcess({test::bulwarkBinary(), "init", "--data-dir", (other / "data").string(), "--run-dir", a.run});
  CHECK(second.exitCode == 1);
  CHECK(second.err == "bulwark: The run directory " + a.run + " is in use by another core (pid " + std::to_string(core.pid) + ").\n");
  // A gaiconfig that names another data directory is refused by this core.
  auto r = test::runProcess({test::bulwarkBinary(), "gaiconfig", "--data-dir", (other / "data").string(), "--run-dir",
                             a.run, "--set", "WWW_TIMEOUT", "600"});
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("This core works on the data directory " + a.data + ", not ") != std::string::npos);
  CHECK(a({"--get", "WWW_TIMEOUT"}).out == "1800\n");
}

TEST_CASE("only root talks to the core", "[gaiconfig]") {
  if (geteuid() != 0) {
    WARN("not root: cannot run a client as another user");
    return;
  }
  Gaiconfig g;
  RunningCore core(g);
  std::vector<std::string> asNobody{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                    test::bulwarkBinary(), "gaiconfig", "--run-dir", g.run, "--data-dir", g.data,
                                    "--set", "WWW_TIMEOUT", "600"};
  // The run directory and the socket are root's alone.
  auto r = test::runProcess(asNobody);
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("Permission denied") != std::string::npos);
  // Even where the file system lets a user through, the core asks the kernel who calls (SO_PEERCRED).
  std::filesystem::permissions(g.dir.path(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
  std::filesystem::permissions(g.run, std::filesystem::perms::all);
  std::filesystem::permissions(std::filesystem::path(g.run) / "bulwark.sock", std::filesystem::perms::all);
  r = test::runProcess(asNobody);
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: Permission denied: only root may use the control socket.\n");
  CHECK(g({"--get", "WWW_TIMEOUT"}).out == "1800\n");
}

TEST_CASE("gaiconfig without a core does not make up a data directory", "[gaiconfig]") {
  test::TempDir dir;
  auto missing = (dir / "nothing-here").string();
  auto r = test::runProcess({test::bulwarkBinary(), "gaiconfig", "--data-dir", missing, "--run-dir",
                             (dir / "run").string(), "--get", "WWW_TIMEOUT"});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "gaiconfig: The core is not running and there is no data directory " + missing + ".\n");
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("the stores are private to their owner", "[gaiconfig]") {
  Gaiconfig g;
  REQUIRE(g({"--set", "WWW_PASSWORD_RAW", "s3cret"}).exitCode == 0);
  for (const char* file : {"config.db", "logs.db", "config.lock"}) {
    INFO(file);
    auto perms = std::filesystem::status(std::filesystem::path(g.data) / file).permissions();
    CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
  }
}

TEST_CASE("bulwark init stops cleanly on SIGTERM and SIGINT", "[gaiconfig]") {
  Gaiconfig g;
  for (int sig : {SIGTERM, SIGINT}) {
    pid_t pid = test::spawnBackground({test::bulwarkBinary(), "init", "--data-dir", g.data, "--run-dir", g.run},
                                      g.dir / "core.log");
    auto socket = std::filesystem::path(g.run) / "bulwark.sock";
    bool answering = waitUntilAnswering(g.run);
    CHECK(test::stopProcess(pid, sig) == 0);  // stopped either way: no core outlives the test
    REQUIRE(answering);
    CHECK_FALSE(std::filesystem::exists(socket));
  }
  auto r = test::runProcess({test::bulwarkBinary(), "init", "--board", "nope", "--data-dir", g.data});
  CHECK(r.exitCode == 1);
  CHECK(r.err == "bulwark: Unknown board \"nope\" (known boards: fl-mguard-2102, fl-mguard-4305, fl-mguard-gtgt, "
                 "fl-mguard-rs4000-txtx, qemu, sim, tc-mguard-rs4000-4g).\n");
}
