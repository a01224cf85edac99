#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <set>

#include <boost/asio/io_context.hpp>

#include "init/spawn.hpp"
#include "init/supervisor.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::init;
using std::chrono::milliseconds;

namespace {

// Records what the supervisor asks for; the test decides when children end.
class FakeSpawner final : public Spawner {
 public:
  Result<pid_t> spawn(const ServiceSpec& spec, Output output) override {
    if (failNext) {
      failNext = false;
      return Error{"execve: No such file or directory"};
    }
    pid_t pid = nextPid++;
    started.push_back(spec.name);
    pids[spec.name] = pid;
    outputs[spec.name] = std::move(output);
    return pid;
  }
  void signal(pid_t pid, int sig) override { signals.emplace_back(pid, sig); }
  bool fileExists(const std::string& path) override { return files.count(path) > 0; }
  bool socketAccepts(const std::string&) override { return false; }

  pid_t nextPid = 100;
  bool failNext = false;
  std::vector<std::string> started;
  std::map<std::string, pid_t> pids;
  std::map<std::string, Output> outputs;
  std::vector<std::pair<pid_t, int>> signals;
  std::set<std::string> files;
};

int exited(int code) { return code << 8; }        // a wait status for exit(code)
int killedBy(int sig) { return sig; }             // a wait status for a signal

struct Fixture {
  runtime::ManualClock clock{std::chrono::system_clock::now()};
  runtime::ManualTimers timers{clock};
  log::Log log{clock};
  test::MemorySink sink;
  FakeSpawner spawner;
  Supervisor supervisor{timers, clock, log, spawner};
  Fixture() { log.addSink(sink); }

  ServiceSpec spec(std::string name, std::vector<std::string> after = {}) {
    ServiceSpec s;
    s.name = std::move(name);
    s.argv = {"/usr/bin/" + s.name};
    s.after = std::move(after);
    s.restart.threshold = milliseconds(5000);
    s.restart.delay = milliseconds(1000);
    s.restart.maxDelay = milliseconds(8000);
    s.restart.retries = 3;
    return s;
  }
  ServiceState state(const std::string& name) { return supervisor.status(name)->state; }
};

}  // namespace

TEST_CASE("exit codes: the code, or 128 + signal", "[init]") {
  CHECK(exitCodeOf(exited(3)) == 3);
  CHECK(exitCodeOf(killedBy(SIGKILL)) == 137);
  CHECK(exitCodeOf(killedBy(SIGSEGV)) == 139);
}

TEST_CASE("a crashing service is restarted with a doubling delay, then fails", "[init]") {
  Fixture f;
  REQUIRE(f.supervisor.add(f.spec("charon")));
  f.supervisor.start();
  REQUIRE(f.spawner.started.size() == 1);
  CHECK(f.state("charon") == ServiceState::Running);
  std::vector<long> delays;
  for (int crash = 1; crash <= 3; ++crash) {
    f.clock.advance(milliseconds(100));
    REQUIRE(f.supervisor.childExited(f.spawner.pids["charon"], exited(1)));
    CHECK(f.state("charon") == ServiceState::Backoff);
    std::size_t before = f.spawner.started.size();
    long waited = 0;
    while (f.spawner.started.size() == before && waited < 100000) {
      f.timers.advance(milliseconds(100));
      waited += 100;
    }
    delays.push_back(waited);
  }
  CHECK(delays == std::vector<long>{1000, 2000, 4000});
  REQUIRE(f.supervisor.childExited(f.spawner.pids["charon"], killedBy(SIGSEGV)));
  CHECK(f.state("charon") == ServiceState::Failed);
  CHECK(f.supervisor.status("charon")->lastExit == 139);
  CHECK(f.supervisor.status("charon")->restarts == 3);
  f.timers.advance(milliseconds(60000));
  CHECK(f.spawner.started.size() == 4);  // no more starts
  auto lines = f.sink.messages("init");
  CHECK(std::find(lines.begin(), lines.end(),
                  "charon exited with status 139; failed after 4 crashes in a row, not restarted") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "charon exited with status 1; restarting in 2000 ms") != lines.end());
}

TEST_CASE("a run longer than the threshold resets the crash count", "[init]") {
  Fixture f;
  REQUIRE(f.supervisor.add(f.spec("openvpn")));
  f.supervisor.start();
  for (int i = 0; i < 10; ++i) {
    f.clock.advance(milliseconds(6000));  // ran 6 s: healthy
    REQUIRE(f.supervisor.childExited(f.spawner.pids["openvpn"], exited(0)));
    f.timers.advance(milliseconds(1000));  // always the first delay
    REQUIRE(f.state("openvpn") == ServiceState::Running);
  }
  CHECK(f.supervisor.status("openvpn")->restarts == 10);
}

TEST_CASE("dependencies start in order, readiness by file and by output line", "[init]") {
  Fixture f;
  auto dhcp = f.spec("udhcpd");
  dhcp.readiness = {Readiness::Kind::File, "/run/udhcpd.pid", milliseconds(2000)};
  auto charon = f.spec("charon", {"udhcpd"});
  charon.readiness = {Readiness::Kind::OutputLine, "charon started", milliseconds(2000)};
  auto bridge = f.spec("bridge", {"charon"});
  REQUIRE(f.supervisor.add(dhcp));
  REQUIRE(f.supervisor.add(charon));
  REQUIRE(f.supervisor.add(bridge));
  CHECK_FALSE(f.supervisor.add(f.spec("x", {"nowhere"})));
  CHECK_FALSE(f.supervisor.add(f.spec("udhcpd")));
  f.supervisor.start();
  CHECK(f.spawner.started == std::vector<std::string>{"udhcpd"});
  f.timers.advance(milliseconds(500));
  CHECK(f.state("udhcpd") == ServiceState::Starting);
  f.spawner.files.insert("/run/udhcpd.pid");
  f.timers.advance(milliseconds(100));
  CHECK(f.spawner.started == std::vector<std::string>{"udhcpd", "charon"});
  f.spawner.outputs["charon"].line("loading plugins");
  CHECK(f.state("charon") == ServiceState::Starting);
  f.spawner.outputs["charon"].line("charon started, pid 7");
  CHECK(f.spawner.started == std::vector<std::string>{"udhcpd", "charon", "bridge"});
  // Output goes into the log with the service's tag.
  REQUIRE_FALSE(f.sink.messages("charon").empty());
  CHECK(f.sink.messages("charon")[0] == "loading plugins");
}

TEST_CASE("a service that never becomes ready is killed and restarted", "[init]") {
  Fixture f;
  auto slow = f.spec("slow");
  slow.readiness = {Readiness::Kind::File, "/never", milliseconds(1000)};
  REQUIRE(f.supervisor.add(slow));
  f.supervisor.start();
  f.timers.advance(milliseconds(1000));
  REQUIRE(f.spawner.signals.size() == 1);
  CHECK(f.spawner.signals[0] == std::pair<pid_t, int>{f.spawner.pids["slow"], SIGKILL});
  REQUIRE(f.supervisor.childExited(f.spawner.pids["slow"], killedBy(SIGKILL)));
  CHECK(f.state("slow") == ServiceState::Backoff);
}

TEST_CASE("stopping goes in reverse order, SIGTERM then SIGKILL after the timeout", "[init]") {
  Fixture f;
  auto a = f.spec("a");
  auto b = f.spec("b", {"a"});
  b.stopTimeout = milliseconds(3000);
  REQUIRE(f.supervisor.add(a));
  REQUIRE(f.supervisor.add(b));
  f.supervisor.start();
  bool done = false;
  f.supervisor.stopAll([&] { done = true; });
  // b depends on a: b first.
  REQUIRE(f.spawner.signals.size() == 1);
  CHECK(f.spawner.signals[0] == std::pair<pid_t, int>{f.spawner.pids["b"], SIGTERM});
  f.timers.advance(milliseconds(3000));
  REQUIRE(f.spawner.signals.size() == 2);
  CHECK(f.spawner.signals[1] == std::pair<pid_t, int>{f.spawner.pids["b"], SIGKILL});
  REQUIRE(f.supervisor.childExited(f.spawner.pids["b"], killedBy(SIGKILL)));
  REQUIRE(f.spawner.signals.size() == 3);
  CHECK(f.spawner.signals[2] == std::pair<pid_t, int>{f.spawner.pids["a"], SIGTERM});
  CHECK_FALSE(done);
  REQUIRE(f.supervisor.childExited(f.spawner.pids["a"], exited(0)));
  CHECK(done);
  CHECK(f.state("a") == ServiceState::Stopped);
  CHECK_FALSE(f.supervisor.childExited(4242, exited(0)));  // not ours
}

TEST_CASE("a program that cannot be started is retried, then fails", "[init]") {
  Fixture f;
  auto s = f.spec("missing");
  s.restart.retries = 1;
  REQUIRE(f.supervisor.add(s));
  f.spawner.failNext = true;
  f.supervisor.start();
  CHECK(f.state("missing") == ServiceState::Backoff);
  f.spawner.failNext = true;
  f.timers.advance(milliseconds(1000));
  CHECK(f.state("missing") == ServiceState::Failed);
}

TEST_CASE("real processes: output into the log, exit codes, orphans reaped", "[init]") {
  boost::asio::io_context io;
  runtime::SystemClock clock;
  runtime::AsioTimers timers(io);
  log::Log log(clock);
  test::MemorySink sink;
  log.addSink(sink);
  ProcessSpawner spawner(io);
  Supervisor supervisor(timers, clock, log, spawner);
  Reaper reaper(io, [&](pid_t pid, int status) { return supervisor.childExited(pid, status); });
  ServiceSpec s;
  s.name = "echo";
  s.argv = {"/bin/sh", "-c", "echo hello from $GREETING; (sleep 0.2 &) ; exit 3"};
  s.env = {"GREETING=bulwark", "PATH=/usr/bin:/bin"};
  s.restart.retries = 0;
  REQUIRE(becomeSubreaper());
  REQUIRE(supervisor.add(s));
  supervisor.start();
  test::runUntil(io, [&] { return supervisor.status("echo")->state == ServiceState::Failed && reaper.orphans() >= 1; });
  CHECK(supervisor.status("echo")->lastExit == 3);
  auto lines = sink.messages("echo");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "hello from bulwark");
  ServiceSpec missing;
  missing.name = "missing";
  missing.argv = {"/nonexistent/program"};
  missing.restart.retries = 0;
  REQUIRE(supervisor.add(missing));
  test::runUntil(io, [&] { return supervisor.status("missing")->state == ServiceState::Failed; });
  auto init = sink.messages("init");
  CHECK(std::find(init.begin(), init.end(),
                  "cannot start missing: execve /nonexistent/program: No such file or directory") != init.end());
}

TEST_CASE("a changed declaration restarts the service; a removed one is stopped and forgotten", "[init]") {
  Fixture f;
  REQUIRE(f.supervisor.add(f.spec("udhcpd")));
  f.supervisor.start();
  pid_t first = f.spawner.pids["udhcpd"];
  auto changed = f.spec("udhcpd");
  changed.argv.push_back("-f");
  REQUIRE(f.supervisor.update(changed));
  CHECK(f.state("udhcpd") == ServiceState::Stopping);
  REQUIRE(f.spawner.signals.back() == std::pair<pid_t, int>{first, SIGTERM});
  REQUIRE(f.supervisor.childExited(first, killedBy(SIGTERM)));
  CHECK(f.state("udhcpd") == ServiceState::Running);
  CHECK(f.spawner.pids["udhcpd"] != first);
  CHECK(f.spawner.started.size() == 2);
  // A new service through update() is simply added.
  REQUIRE(f.supervisor.update(f.spec("ntp")));
  CHECK(f.state("ntp") == ServiceState::Running);
  f.supervisor.remove("ntp");
  CHECK(f.state("ntp") == ServiceState::Stopping);
  REQUIRE(f.supervisor.childExited(f.spawner.pids["ntp"], exited(0)));
  CHECK_FALSE(f.supervisor.status("ntp"));
  CHECK(f.supervisor.list().size() == 1);
  // Declared again while the removal is still stopping it (charon between
  // two IPsec connections): it starts again once the old run has ended.
  REQUIRE(f.supervisor.update(f.spec("ntp")));
  pid_t old = f.spawner.pids["ntp"];
  f.supervisor.remove("ntp");
  CHECK(f.state("ntp") == ServiceState::Stopping);
  REQUIRE(f.supervisor.update(f.spec("ntp")));
  REQUIRE(f.supervisor.childExited(old, killedBy(SIGTERM)));
  CHECK(f.state("ntp") == ServiceState::Running);
  CHECK(f.spawner.pids["ntp"] != old);
}
