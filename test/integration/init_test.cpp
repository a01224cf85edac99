// The supervisor in a real core: `bulwark init --services FILE` in a
// temporary directory supervises a service that crashes (restarted with
// back-off, then failed), one that leaves orphans behind (reaped: no zombie
// stays), and one that ignores SIGTERM (killed after its stop timeout when
// the core stops); `bulwark ctl services` shows them. The LEDs of the sim
// board go from booting to the heartbeat (`bulwark ctl leds`).
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "support/support.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace bulwark;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool eventually(const std::function<bool()>& ok, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ok();
}

// Zombie children of `parent`, from /proc.
int zombiesOf(pid_t parent) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string stat = readFile(entry.path() / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    if (state == 'Z' && ppid == parent) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("the core supervises services: back-off, failure, orphans, stop escalation", "[integration][init]") {
  test::TempDir dir;
  std::string marker = (dir / "ran").string();
  std::ofstream(dir / "services.json") << fmt::format(R"([
  {{"name": "crasher", "argv": ["/bin/sh", "-c", "echo run >> {0}; echo crashing; exit 3"],
    "restart": {{"threshold_ms": 5000, "delay_ms": 100, "max_delay_ms": 400, "retries": 3}}}},
  {{"name": "parent", "argv": ["/bin/sh", "-c", "for i in 1 2 3 4 5; do (sleep 0.1 &); done; echo ready; exec sleep 60"],
    "ready": {{"line": "ready"}}, "env": ["PATH=/usr/bin:/bin"]}},
  {{"name": "stubborn", "argv": ["/bin/sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.1; done"],
    "after": ["parent"], "stop_timeout_ms": 1000, "env": ["PATH=/usr/bin:/bin"]}}
])",
                                                      marker);
  pid_t core = test::spawnBackground({test::bulwarkBinary(), "init", "--data-dir", (dir / "data").string(),
                                      "--run-dir", (dir / "run").string(), "--services",
                                      (dir / "services.json").string(), "--console-log"},
                                     dir / "core.log");
  auto ctl = [&] {
    return test::runProcess({test::bulwarkBinary(), "ctl", "services", "--run-dir", (dir / "run").string()}).out;
  };
  CHECK(eventually([&] { return ctl().find("crasher          failed") != std::string::npos; }));
  std::string runs = readFile(marker);
  CHECK(std::count(runs.begin(), runs.end(), '\n') == 4);  // the first run and three restarts
  std::string log = readFile(dir / "core.log");
  CHECK(log.find("crasher exited with status 3; restarting in 100 ms") != std::string::npos);
  CHECK(log.find("crasher exited with status 3; restarting in 200 ms") != std::string::npos);
  CHECK(log.find("crasher exited with status 3; failed after 4 crashes in a row, not restarted") != std::string::npos);
  CHECK(log.find(" crasher: crashing\n") != std::string::npos);  // the service's output, with its tag
  CHECK(eventually([&] { return ctl().find("stubborn         running") != std::string::npos; }));
  std::string table = ctl();
  INFO(table);
  CHECK(table.find("SERVICE") == 0);
  CHECK(table.find("parent           running") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the orphans' sleeps end
  CHECK(zombiesOf(core) == 0);

  int status = test::stopProcess(core, SIGTERM);
  CHECK(status == 0);
  log = readFile(dir / "core.log");
  CHECK(log.find("stubborn did not stop within 1000 ms; killing it") != std::string::npos);
  CHECK(log.find("stubborn stopped (status 137)") != std::string::npos);
  CHECK(log.find("parent stopped (status 143)") != std::string::npos);
  CHECK(log.find("stubborn stopped") < log.find("parent stopped"));  // reverse order
}

TEST_CASE("a bad services file stops the core with a clear error", "[integration][init]") {
  test::TempDir dir;
  std::ofstream(dir / "services.json") << R"([{"name": "x", "argv": ["/bin/true"], "colour": "red"}])";
  auto r = test::runProcess({test::bulwarkBinary(), "init", "--data-dir", (dir / "data").string(), "--run-dir",
                             (dir / "run").string(), "--services", (dir / "services.json").string()});
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("service 'x': colour is not a setting") != std::string::npos);
}

TEST_CASE("the console: login, commands, rights, poweroff", "[integration][init]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "data");
  REQUIRE(test::runProcess({test::bulwarkBinary(), "gaiconfig", "--data-dir", (dir / "data").string(), "--run-dir",
                            (dir / "run").string(), "--set", "AUDIT_PASSWORD", "audit1"})
              .exitCode == 0);
  std::string input =
      "admin\nwrong\n"
      "audit\naudit1\ngaiconfig --set HOSTNAME nope\nreboot\nshow status\nlogout\n"
      "admin\nmGuard\ngaiconfig --set HOSTNAME plant3\ngaiconfig --get HOSTNAME\nshow interfaces\nbogus\n"
      "show log 50\npoweroff\n";
  auto r = test::runProcess({test::bulwarkBinary(), "init", "--data-dir", (dir / "data").string(), "--run-dir",
                             (dir / "run").string(), "--console"},
                            input);
  INFO(r.out);
  CHECK(r.exitCode == 0);  // powered off: the core stopped cleanly
  CHECK(r.out.find("bulwark login: Password: \nLogin incorrect\n") != std::string::npos);
  CHECK(r.out.find("Welcome, audit (audit).") != std::string::npos);
  CHECK(r.out.find("Only root and admin may change the configuration.") != std::string::npos);
  CHECK(r.out.find("Only root and admin may do that.") != std::string::npos);
  CHECK(r.out.find("WARNING    the factory passwords of admin or root are still in use") != std::string::npos);
  CHECK(r.out.find("admin@plant3> plant3\n") != std::string::npos);
  CHECK(r.out.find("lo ") != std::string::npos);
  CHECK(r.out.find("Unknown command 'bogus'; type help.") != std::string::npos);
  CHECK(r.out.find("maid[") != std::string::npos);  // show log: the change, with its user
  CHECK(r.out.find("HOSTNAME set to 'plant3'") != std::string::npos);
  CHECK(r.out.find("Powering off.") != std::string::npos);
  auto stored = test::runProcess({test::bulwarkBinary(), "gaiconfig", "--data-dir", (dir / "data").string(),
                                  "--run-dir", (dir / "run").string(), "--get", "HOSTNAME"});
  CHECK(stored.out == "plant3\n");
}

namespace {
// The children of `pid`, from /proc.
std::vector<pid_t> childrenOf(pid_t pid) {
  std::vector<pid_t> out;
  for (const auto& task : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
    std::istringstream list(readFile(task.path() / "children"));
    pid_t child;
    while (list >> child) out.push_back(child);
  }
  return out;
}
}  // namespace

TEST_CASE("bulwark as PID 1 in a namespace: supervises, reaps, powers off on SIGTERM", "[integration][init]") {
  test::TempDir dir;  // under /tmp, which PID 1 leaves alone in namespace mode
  std::filesystem::create_directories(dir / "data");
  std::ofstream(dir / "services.json") << R"([
  {"name": "crasher", "argv": ["/bin/sh", "-c", "exit 7"],
   "restart": {"threshold_ms": 5000, "delay_ms": 100, "max_delay_ms": 200, "retries": 2}},
  {"name": "orphans", "argv": ["/bin/sh", "-c", "for i in 1 2 3; do (sleep 0.2 &); done; exec sleep 60"],
   "env": ["PATH=/usr/bin:/bin"]}
])";
  pid_t outer = test::spawnBackground(
      {"/usr/bin/env", "BULWARK_BOARD=sim", "BULWARK_DATA_DIR=" + (dir / "data").string(),
       "BULWARK_SERVICES=" + (dir / "services.json").string(), "unshare", "--pid", "--mount", "--net", "--fork",
       test::bulwarkBinary()},
      dir / "pid1.log");
  // env execs unshare (same pid), which forks PID 1 of the new namespace.
  pid_t pid1 = 0;
  REQUIRE(eventually([&] {
    auto children = childrenOf(outer);
    if (children.empty()) return false;
    pid1 = children[0];
    return true;
  }));
  CHECK(eventually([&] {
    return readFile(dir / "pid1.log").find("crasher exited with status 7; failed after 3 crashes in a row") !=
           std::string::npos;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the orphans' sleeps have ended
  CHECK(zombiesOf(pid1) == 0);
  std::string log = readFile(dir / "pid1.log");
  CHECK(log.find("bulwark 0.1.0 started on board sim") != std::string::npos);
  kill(pid1, SIGTERM);
  int status = test::waitProcess(outer);
  log = readFile(dir / "pid1.log");
  INFO(log);
  CHECK(log.find("orphans stopped (status 143)") != std::string::npos);
  CHECK(log.find("init: powering off") != std::string::npos);
  CHECK(status != 127);
}

TEST_CASE("the LEDs of the sim board show booting, then the heartbeat and PASSWORD_CHECK", "[integration][init][led]") {
  test::TempDir dir;
  pid_t core = test::spawnBackground({test::bulwarkBinary(), "init", "--data-dir", (dir / "data").string(),
                                      "--run-dir", (dir / "run").string(), "--console-log"},
                                     dir / "core.log");
  auto leds = [&] {
    return test::runProcess({test::bulwarkBinary(), "ctl", "leds", "--run-dir", (dir / "run").string()}).out;
  };
  // Table 12-3: STAT, ERR, FAULT ON (12 s), MOD ON (3 s) while booting.
  REQUIRE(eventually([&] { return leds().find("STAT on (12 s)\n") != std::string::npos; }));
  std::string booting = leds();
  INFO(booting);
  CHECK(booting.find("P1 off\nP2 off\nSTAT on (12 s)\n") == 0);
  CHECK(booting.find("ERR on (12 s)\n") != std::string::npos);
  CHECK(booting.find("FAULT on (12 s)\n") != std::string::npos);
  // Then the heartbeat; the factory passwords keep FAULT on (PASSWORD_CHECK).
  CHECK(eventually([&] { return leds().find("STAT heartbeat\n") != std::string::npos; }, std::chrono::seconds(20)));
  std::string running = leds();
  INFO(running);
  CHECK(running.find("FAULT on\n") != std::string::npos);
  CHECK(running.find("ERR off\n") != std::string::npos);
  CHECK(test::stopProcess(core, SIGTERM) == 0);
  std::string log = readFile(dir / "core.log");
  CHECK(log.find("alarm raised: password-check") != std::string::npos);
}

TEST_CASE("the sim board's contacts are set and its outputs shown through bulwark ctl", "[integration][init][led]") {
  test::TempDir dir;
  pid_t core = test::spawnBackground({test::bulwarkBinary(), "init", "--data-dir", (dir / "data").string(),
                                      "--run-dir", (dir / "run").string(), "--console-log"},
                                     dir / "core.log");
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {test::bulwarkBinary(), "ctl"});
    args.insert(args.end(), {"--run-dir", (dir / "run").string()});
    return test::runProcess(args);
  };
  // The factory passwords hold the PASSWORD_CHECK alarm: the alarm output O3 is on.
  REQUIRE(eventually([&] { return ctl({"io"}).out == "CMD1 open\nCMD2 open\nCMD3 open\nACK1 off\nACK2 off\nO3 on\n"; }));
  auto on = ctl({"input", "CMD2", "on"});
  CHECK(on.exitCode == 0);
  CHECK(eventually([&] { return ctl({"io"}).out.find("CMD2 closed\n") != std::string::npos; }));
  CHECK(ctl({"input", "CMD2", "off"}).exitCode == 0);
  CHECK(eventually([&] { return ctl({"io"}).out.find("CMD2 open\n") != std::string::npos; }));
  CHECK(ctl({"input", "CMD1", "press"}).exitCode == 0);
  auto unknown = ctl({"input", "CMD9", "on"});
  CHECK(unknown.exitCode == 1);
  CHECK(unknown.err == "bulwark ctl: No simulated input is named CMD9.\n");
  auto sideways = ctl({"input", "CMD1", "sideways"});
  CHECK(sideways.exitCode == 1);
  CHECK(sideways.err == "bulwark ctl: input wants a name and on, off or press (bulwark ctl input CMD1 press)\n");
  CHECK(test::stopProcess(core, SIGTERM) == 0);
}
