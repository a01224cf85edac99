// Links and addresses over rtnetlink, in a network namespace of the test's
// own (unshare(CLONE_NEWNET): the host's network is never touched): a veth
// pair brought up and down with net::setLinkUp, addresses put on and taken
// off, and the link monitor's debounced LinkChanged events and log lines.
#include <catch2/catch.hpp>

#include <sched.h>

#include <boost/asio/io_context.hpp>

#include "net/link_monitor.hpp"
#include "net/rtnl.hpp"
#include "support/support.hpp"

using namespace bulwark;
using std::chrono::milliseconds;

TEST_CASE("rtnetlink: links, addresses and debounced link changes", "[integration][net]") {
  REQUIRE(unshare(CLONE_NEWNET) == 0);  // this process only; the namespace goes with it
  REQUIRE(test::runProcess({"ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b"}).exitCode == 0);
  CHECK(net::interfaceExists("veth-a"));
  CHECK_FALSE(net::interfaceExists("veth-z"));
  CHECK_FALSE(net::setLinkUp("veth-z"));

  REQUIRE(net::addAddress("veth-a", "192.168.1.1/24"));
  auto show = test::runProcess({"ip", "-4", "-o", "addr", "show", "dev", "veth-a"}).out;
  CHECK(show.find("inet 192.168.1.1/24 brd 192.168.1.255") != std::string::npos);
  REQUIRE(net::removeAddress("veth-a", "192.168.1.1/24"));
  CHECK(test::runProcess({"ip", "-4", "-o", "addr", "show", "dev", "veth-a"}).out.empty());
  CHECK(net::removeAddress("veth-a", "192.168.1.1/24"));  // absent is fine
  CHECK_FALSE(net::addAddress("veth-a", "192.168.1.300/24"));

  boost::asio::io_context io;
  runtime::SystemClock clock;
  runtime::AsioTimers timers(io);
  log::Log log(clock);
  test::MemorySink sink;
  log.addSink(sink);
  runtime::EventBus bus(io);
  std::vector<net::LinkChanged> events;
  bus.subscribe<net::LinkChanged>([&](const net::LinkChanged& e) { events.push_back(e); });
  auto monitor = net::LinkMonitor::open(io, timers, log, bus, {"veth-a"}, milliseconds(200));
  REQUIRE(monitor);
  CHECK((*monitor)->carrier("veth-a") == false);

  REQUIRE(net::setLinkUp("veth-a"));
  REQUIRE(net::setLinkUp("veth-b"));  // both ends up: carrier on veth-a
  test::runUntil(io, [&] { return !events.empty(); });
  REQUIRE(events.size() == 1);
  CHECK(events[0].interface == "veth-a");
  CHECK(events[0].up);
  CHECK(sink.messages("service-mauman") ==
        std::vector<std::string>{"[011] Running service loop because an interface changed"});

  // A flap shorter than the debounce time is no change.
  REQUIRE(net::setLinkUp("veth-b", false));
  REQUIRE(net::setLinkUp("veth-b", true));
  auto until = std::chrono::steady_clock::now() + milliseconds(600);
  test::runUntil(io, [&] { return std::chrono::steady_clock::now() > until; });
  CHECK(events.size() == 1);

  REQUIRE(net::setLinkUp("veth-b", false));
  test::runUntil(io, [&] { return events.size() == 2; });
  CHECK_FALSE(events[1].up);
  CHECK((*monitor)->carrier("veth-a") == false);
  CHECK(sink.messages("service-mauman").size() == 2);
}
