// The NTP codec, and the client against a server on loopback that this test
// runs on the same loop (with a clock of its own choosing), with a fake
// system clock: the host's clock is never touched.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>

#include <boost/asio/io_context.hpp>

#include "net/ntp.hpp"
#include "net/ntp_client.hpp"
#include "runtime/fd_watch.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace std::chrono_literals;

namespace {

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// A server reply to `request` with the given fields.
std::array<std::uint8_t, 48> reply(const std::uint8_t* request, double serverTime, unsigned stratum = 2,
                                   unsigned leap = 0, const char* kiss = nullptr) {
  std::array<std::uint8_t, 48> p{};
  p[0] = static_cast<std::uint8_t>(leap << 6 | 4 << 3 | 4);
  p[1] = static_cast<std::uint8_t>(stratum);
  p[2] = 6;
  p[3] = static_cast<std::uint8_t>(-20);
  put32(p.data() + 4, 0x00000400);  // root delay 1/64 s
  put32(p.data() + 8, 0x00000200);  // root dispersion 1/128 s
  if (kiss) {
    std::memcpy(p.data() + 12, kiss, 4);
  } else {
    p[12] = 192, p[13] = 0, p[14] = 2, p[15] = 1;
  }
  std::memcpy(p.data() + 24, request + 40, 8);  // origin = the request's transmit
  auto t = net::ntp::fromUnix(serverTime);
  put32(p.data() + 32, t.seconds);
  put32(p.data() + 36, t.fraction);
  put32(p.data() + 40, t.seconds);
  put32(p.data() + 44, t.fraction);
  return p;
}

double realNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// The system clock of the appliance under test: real time plus a shift that
// step() moves; slews are recorded.
struct FakeTime final : net::SystemTime {
  double shift = 0;
  bool own = true;
  std::vector<double> steps, slews;
  int synchronisedCalls = 0;
  double now() const override { return realNow() + shift; }
  bool owned() const override { return own; }
  Status step(double offset) override {
    steps.push_back(offset);
    shift += offset;
    return {};
  }
  Status slew(double offset) override {
    slews.push_back(offset);
    return {};
  }
  void synchronised(double) override { ++synchronisedCalls; }
};

// An NTP server on 127.0.0.1 whose clock is real time + `ahead`.
struct TestServer {
  int fd = -1;
  std::unique_ptr<runtime::FdWatch> watch;
  double ahead = 0;
  unsigned stratum = 2;
  unsigned leap = 0;
  const char* kiss = nullptr;
  bool mute = false;
  bool forgeFirst = false;  // first send a reply with the wrong origin
  int requests = 0;
  std::string address;

  explicit TestServer(boost::asio::io_context& io) {
    std::uint16_t port = 0;
    fd = test::udpOnLoopback(port, SOCK_NONBLOCK);
    REQUIRE(fd >= 0);
    address = "127.0.0.1:" + std::to_string(port);
    watch = std::make_unique<runtime::FdWatch>(io, fd, [this] { serve(); });
  }
  ~TestServer() {
    watch.reset();
    close(fd);
  }
  void serve() {
    std::uint8_t in[64];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    for (;;) {
      ssize_t n = recvfrom(fd, in, sizeof in, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) return;
      ++requests;
      if (mute || n != 48 || (in[0] & 7) != 3) continue;
      if (forgeFirst) {
        forgeFirst = false;
        std::uint8_t forged[48];
        std::memcpy(forged, in, 48);
        forged[47] ^= 1;
        auto bad = reply(forged, realNow() + 1000);
        sendto(fd, bad.data(), bad.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
      auto out = reply(in, realNow() + ahead, stratum, leap, kiss);
      sendto(fd, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
};

net::NtpTiming quick() {
  net::NtpTiming t;
  t.answerTimeout = 200ms;
  t.spacing = 10ms;
  t.minPoll = 300ms;
  t.maxPoll = 1200ms;
  t.retry = 100ms;
  return t;
}

struct Rig {
  boost::asio::io_context io;
  runtime::SystemClock clock;
  runtime::AsioTimers timers{io};
  log::Log log{clock};
  test::MemorySink sink;
  FakeTime time;
  net::NtpClient client{io, timers, log, time, quick()};
  Rig() { log.addSink(sink); }
  bool logged(const std::string& part) const {
    for (const auto& m : sink.messages("ntp")) {
      if (m.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("NTP time stamps and the request", "[net][ntp]") {
  using namespace net::ntp;
  auto t = fromUnix(0);
  CHECK(t.seconds == 2208988800u);
  CHECK(t.fraction == 0);
  CHECK(toUnix(fromUnix(1700000000.25)) == Approx(1700000000.25).margin(1e-6));
  // After 2036-02-07 the seconds wrap (era 1) and still read back.
  CHECK(fromUnix(2085978496.0).seconds == 0);
  CHECK(toUnix(fromUnix(2085978496.5)) == Approx(2085978496.5).margin(1e-6));
  CHECK(toUnix(fromUnix(2200000000.0)) == Approx(2200000000.0).margin(1e-6));

  auto r = request({0x11223344, 0x55667788});
  CHECK(r[0] == 0x23);  // leap 0, version 4, mode 3
  CHECK(std::all_of(r.begin() + 1, r.begin() + 40, [](std::uint8_t b) { return b == 0; }));
  CHECK(r[40] == 0x11);
  CHECK(r[47] == 0x88);

  auto s = measure(100.0, 110.5, 110.6, 100.3);
  CHECK(s.offset == Approx(10.4));
  CHECK(s.delay == Approx(0.2));
}

TEST_CASE("NTP replies are checked", "[net][ntp]") {
  using namespace net::ntp;
  Timestamp nonce{0xdeadbeef, 0x01020304};
  auto req = request(nonce);
  auto good = reply(req.data(), 1700000000.0);
  auto parsed = parseReply(good, nonce);
  REQUIRE(parsed);
  CHECK(parsed->stratum == 2);
  CHECK(parsed->version == 4);
  CHECK(parsed->reference == "192.0.2.1");
  CHECK(parsed->rootDelay == Approx(1.0 / 64));
  CHECK(toUnix(parsed->transmit) == Approx(1700000000.0).margin(1e-6));

  CHECK(parseReply(std::span(good.data(), 47), nonce).error() == "a reply of 47 bytes is too short");
  CHECK(parseReply(good, {0xdeadbeef, 0x01020305}).error() == "the reply does not answer our request");
  auto client = good;
  client[0] = (client[0] & ~7) | 3;
  CHECK(parseReply(client, nonce).error() == "not a server reply (mode 3)");
  CHECK(parseReply(reply(req.data(), 1e9, 0, 3, "DENY"), nonce).error() == "kiss code DENY");
  CHECK(parseReply(reply(req.data(), 1e9, 16), nonce).error() == "the server is not synchronised (stratum 16)");
  CHECK(parseReply(reply(req.data(), 1e9, 2, 3), nonce).error() == "the server is not synchronised (leap indicator 3)");
  auto far = good;
  put32(far.data() + 8, 0x00020000);  // root dispersion 2 s
  CHECK(parseReply(far, nonce).error().find("root distance") != std::string::npos);
  auto stratum1 = reply(req.data(), 1e9, 1, 0, "GPS\0");
  CHECK(parseReply(stratum1, nonce)->reference == "GPS");
  auto zero = good;
  std::fill(zero.begin() + 32, zero.end(), 0);
  CHECK(parseReply(zero, nonce).error() == "the reply has no time stamps");
}

TEST_CASE("the NTP client steps a clock that is far off, then keeps it", "[net][ntp]") {
  Rig rig;
  TestServer server(rig.io);
  server.ahead = 10.0;
  server.forgeFirst = true;
  CHECK(net::ntpStateText(rig.client.status()) == "disabled");
  rig.client.configure(true, {server.address});
  CHECK(net::ntpStateText(rig.client.status()) == "not_synced");
  CHECK(net::tstampLetter(rig.client.status()) == 'a');
  test::runUntil(rig.io, [&] { return rig.client.status().ntp == net::TimeStatus::Ntp::Synchronised; });
  REQUIRE(rig.time.steps.size() == 1);
  CHECK(rig.time.steps[0] == Approx(10.0).margin(0.05));
  CHECK(rig.logged("system time stepped by +10.0"));
  CHECK(rig.logged("time synchronised with NTP server " + server.address + " (stratum 2)"));
  CHECK(net::timeSyncText(rig.client.status()) == "ntp");
  CHECK(rig.time.synchronisedCalls == 1);
  // Polls go on; small offsets are slewed, and three rounds make it "frequently".
  test::runUntil(rig.io, [&] { return rig.client.status().rounds >= 3; });
  CHECK(server.requests == 3 + 1 + 1);  // a burst to find the time, then one a round
  CHECK(rig.time.steps.size() == 1);
  CHECK(rig.time.slews.size() >= 2);
  CHECK(std::fabs(rig.time.slews.back()) < 0.05);
  CHECK(net::tstampLetter(rig.client.status()) == 'e');
  CHECK(net::ntpStateText(rig.client.status()) == "synchronized");

  // Once synchronised, a jump of more than 1000 s is not taken.
  server.ahead = 10.0 + 2000;
  test::runUntil(rig.io, [&] { return rig.logged("s off the synchronised clock: more than 1000 s, not taken"); });
  CHECK(rig.time.steps.size() == 1);
  server.ahead = 10.0;

  // The server goes quiet: after three rounds the time is no longer synchronised.
  server.mute = true;
  test::runUntil(rig.io, [&] { return rig.client.status().ntp == net::TimeStatus::Ntp::NotSynchronised; });
  CHECK(rig.logged("no NTP server has answered for three polls"));
  CHECK(net::tstampLetter(rig.client.status()) == 'd');
  CHECK(net::timeSyncText(rig.client.status()) == "ntp");

  rig.client.configure(false, {});
  CHECK(net::ntpStateText(rig.client.status()) == "disabled");
}

TEST_CASE("the NTP client follows the majority, then the lower stratum", "[net][ntp]") {
  Rig rig;
  TestServer wrong(rig.io), near(rig.io), far(rig.io);
  wrong.stratum = 1;  // the best stratum, but 5 s off the others: a falseticker
  wrong.kiss = "GPS\0";
  wrong.ahead = 5;
  near.stratum = 2;
  near.ahead = 0.02;
  far.stratum = 3;
  far.ahead = 0.03;
  rig.client.configure(true, {"pool.ntp.org", wrong.address, far.address, near.address});
  CHECK(rig.logged("NTP server 'pool.ntp.org' left out: no resolver for host names here"));
  test::runUntil(rig.io, [&] { return rig.client.status().ntp == net::TimeStatus::Ntp::Synchronised; });
  CHECK(rig.time.steps.empty());
  REQUIRE(rig.time.slews.size() == 1);
  CHECK(rig.time.slews[0] == Approx(0.02).margin(0.01));
  CHECK(rig.logged("time synchronised with NTP server " + near.address + " (stratum 2)"));
  // A burst of three while finding the time.
  CHECK(wrong.requests == 3);
  CHECK(near.requests == 3);
  CHECK(far.requests == 3);
}

TEST_CASE("the NTP client takes no time from two servers that disagree", "[net][ntp]") {
  Rig rig;
  TestServer a(rig.io), b(rig.io);
  a.ahead = 0.01;
  b.ahead = 7;
  rig.client.configure(true, {a.address, b.address});
  test::runUntil(rig.io, [&] { return rig.logged("disagree by more than 128 ms"); });
  CHECK(rig.client.status().ntp == net::TimeStatus::Ntp::NotSynchronised);
  CHECK(rig.time.steps.empty());
  CHECK(rig.time.slews.empty());
}

TEST_CASE("the NTP client: refusals, unsynchronised servers, and a clock it does not own", "[net][ntp]") {
  SECTION("kiss code DENY: not asked again") {
    Rig rig;
    TestServer server(rig.io);
    server.stratum = 0;
    server.kiss = "DENY";
    rig.client.configure(true, {server.address});
    test::runUntil(rig.io, [&] { return rig.logged("refuses us (kiss code DENY)"); });
    auto until = std::chrono::steady_clock::now() + 700ms;
    test::runUntil(rig.io, [&] { return std::chrono::steady_clock::now() > until; });
    CHECK(server.requests == 1);
    CHECK(rig.client.status().ntp == net::TimeStatus::Ntp::NotSynchronised);
  }
  SECTION("a server that is not synchronised itself is no source") {
    Rig rig;
    TestServer server(rig.io);
    server.leap = 3;
    rig.client.configure(true, {server.address});
    test::runUntil(rig.io, [&] { return rig.logged("no answer from the NTP servers"); });
    CHECK(rig.client.status().ntp == net::TimeStatus::Ntp::NotSynchronised);
    CHECK(rig.time.steps.empty());
  }
  SECTION("not owned: measures, reports, sets nothing") {
    Rig rig;
    rig.time.own = false;
    TestServer server(rig.io);
    server.ahead = 0.01;
    rig.client.configure(true, {server.address});
    test::runUntil(rig.io, [&] { return rig.client.status().ntp == net::TimeStatus::Ntp::Synchronised; });
    CHECK(rig.logged("the system clock is not this process's to set"));
    CHECK(rig.time.steps.empty());
    CHECK(rig.time.slews.empty());
    CHECK(rig.time.synchronisedCalls == 0);
    CHECK(net::timeSyncText(rig.client.status()) == "not_synced");
    // A clock far off the server is reported as not synchronised.
    server.ahead = 30;
    test::runUntil(rig.io, [&] { return rig.client.status().ntp == net::TimeStatus::Ntp::NotSynchronised; });
    CHECK(rig.logged("the system clock is -30.0"));
  }
}

TEST_CASE("the NTP client asks servers by name, resolved each round", "[net][ntp]") {
  boost::asio::io_context io;
  runtime::SystemClock clock;
  runtime::AsioTimers timers{io};
  log::Log log{clock};
  test::MemorySink sink;
  log.addSink(sink);
  FakeTime time;
  int lookups = 0;
  net::NtpClient client(io, timers, log, time, quick(),
                        [&](const std::string& name, std::function<void(Result<std::vector<std::string>>)> done) {
                          ++lookups;
                          if (name == "ntp.example") return done(std::vector<std::string>{"127.0.0.1"});
                          done(Error{name + ": Domain name not found"});
                        });
  TestServer server(io);
  server.ahead = 0.01;
  std::string port = server.address.substr(server.address.find(':'));
  client.configure(true, {"nowhere.example", "ntp.example" + port, "bad name!"});
  test::runUntil(io, [&] { return client.status().ntp == net::TimeStatus::Ntp::Synchronised; });
  auto lines = sink.messages("ntp");
  auto has = [&](const std::string& part) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; });
  };
  CHECK(has("NTP server 'bad name!' left out: not a host name or address"));
  CHECK(has("NTP server nowhere.example: Domain name not found"));
  CHECK(has("time synchronised with NTP server ntp.example" + port + " (127.0.0.1) (stratum 2)"));
  // The next round resolves again, and the failure is not logged twice.
  test::runUntil(io, [&] { return lookups >= 4; });
  lines = sink.messages("ntp");
  CHECK(std::count_if(lines.begin(), lines.end(),
                      [](const std::string& l) { return l.find("nowhere.example") != std::string::npos; }) == 1);
}
