#include <catch2/catch.hpp>

#include <thread>

#include <boost/asio/io_context.hpp>

#include "runtime/control_socket.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/timers.hpp"
#include "runtime/module_set.hpp"
#include "runtime/worker_pool.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::runtime;

TEST_CASE("worker results come back on the loop in submission order for the serial lane", "[runtime]") {
  boost::asio::io_context io;
  WorkerPool pool(io, 2, 100);
  std::vector<int> order;
  auto loopThread = std::this_thread::get_id();
  for (int i = 0; i < 20; ++i) {
    REQUIRE(pool.submitSerial<int>([i] { return i; }, [&, loopThread](int v) {
      CHECK(std::this_thread::get_id() == loopThread);
      order.push_back(v);
    }));
  }
  test::runUntil(io, [&] { return order.size() == 20; });
  for (int i = 0; i < 20; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("the worker pool refuses work beyond its bound", "[runtime]") {
  boost::asio::io_context io;
  WorkerPool pool(io, 1, 2);
  std::atomic<bool> release{false};
  int done = 0;
  auto block = [&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return 0;
  };
  CHECK(pool.submit<int>(block, [&](int) { ++done; }));
  CHECK(pool.submit<int>(block, [&](int) { ++done; }));
  CHECK_FALSE(pool.submit<int>(block, [&](int) { ++done; }));
  release = true;
  test::runUntil(io, [&] { return done == 2; });
  CHECK(pool.submit<int>([] { return 1; }, [&](int) { ++done; }));
  test::runUntil(io, [&] { return done == 3; });
}

TEST_CASE("events reach their subscribers on the loop", "[runtime]") {
  boost::asio::io_context io;
  EventBus bus(io);
  std::vector<std::uint64_t> got;
  bus.subscribe<ConfigApplied>([&](const ConfigApplied& e) { got.push_back(e.generation); });
  bus.publish(ConfigApplied{7});
  CHECK(got.empty());  // delivered later, not inside publish
  test::runUntil(io, [&] { return !got.empty(); });
  CHECK(got == std::vector<std::uint64_t>{7});
}

namespace {
struct Recorder final : Module {
  Recorder(std::string n, std::vector<std::string>& log, bool failStart = false)
      : name_(std::move(n)), log_(log), failStart_(failStart) {}
  std::string_view name() const override { return name_; }
  Status start(const config::Snapshot&) override {
    log_.push_back("start " + name_);
    return failStart_ ? Status{Error{"broken"}} : Status{};
  }
  Status reconfigure(const config::Snapshot&, const config::Diff&) override { return {}; }
  void stop() override { log_.push_back("stop " + name_); }
  std::string name_;
  std::vector<std::string>& log_;
  bool failStart_;
};
}  // namespace

TEST_CASE("modules start in order and stop in reverse", "[runtime]") {
  std::vector<std::string> log;
  Recorder a("a", log), b("b", log), c("c", log);
  ModuleSet set;
  set.add(a);
  set.add(b);
  set.add(c);
  REQUIRE(set.startAll(nullptr));
  set.stopAll();
  CHECK(log == std::vector<std::string>{"start a", "start b", "start c", "stop c", "stop b", "stop a"});
}

TEST_CASE("a module that fails to start stops those started before it", "[runtime]") {
  std::vector<std::string> log;
  Recorder a("a", log), b("b", log, true), c("c", log);
  ModuleSet set;
  set.add(a);
  set.add(b);
  set.add(c);
  CHECK(set.startAll(nullptr).message() == "b: broken");
  CHECK(log == std::vector<std::string>{"start a", "start b", "stop a"});
}

TEST_CASE("the control socket answers one request per connection, for root only", "[runtime]") {
  test::TempDir dir;
  boost::asio::io_context io;
  auto server = ControlServer::listen(io, dir / "bulwark.sock", [](std::string request, const Peer& peer, auto reply) {
    reply("echo " + request + " from " + std::to_string(peer.uid));
  });
  REQUIRE(server);
  auto st = std::filesystem::status(dir / "bulwark.sock");
  CHECK((st.permissions() & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);
  std::thread loop([&] {
    auto guard = boost::asio::make_work_guard(io);
    io.run_for(std::chrono::seconds(5));
  });
  bool unavailable = true;
  auto reply = controlRequest(dir / "bulwark.sock", "hello", unavailable);
  CHECK_FALSE(unavailable);
  REQUIRE(reply);
  CHECK(*reply == "echo hello from " + std::to_string(geteuid()));
  io.stop();
  loop.join();
  server->reset();
  CHECK_FALSE(std::filesystem::exists(dir / "bulwark.sock"));
  auto none = controlRequest(dir / "bulwark.sock", "hello", unavailable);
  CHECK_FALSE(none);
  CHECK(unavailable);
}

TEST_CASE("an Asio timer cancelled after it expired does not fire", "[runtime]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  bool secondFired = false;
  Timers::Id second = timers.after(std::chrono::milliseconds(5), [&] { secondFired = true; });
  bool firstFired = false;
  timers.after(std::chrono::milliseconds(1), [&] {  // due first
    firstFired = true;
    timers.cancel(second);  // both have expired by now: the second one's handler is queued
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  test::runUntil(io, [&] { return firstFired; });
  io.poll();
  CHECK_FALSE(secondFired);
}

TEST_CASE("Asio timers fire after their delay, in order", "[runtime]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  std::vector<int> order;
  timers.after(std::chrono::milliseconds(30), [&] { order.push_back(2); });
  timers.after(std::chrono::milliseconds(10), [&] { order.push_back(1); });
  test::runUntil(io, [&] { return order.size() == 2; });
  CHECK(order == std::vector<int>{1, 2});
}
