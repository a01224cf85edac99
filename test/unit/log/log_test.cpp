#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include <boost/asio/io_context.hpp>

#include "log/kmsg.hpp"
#include "log/log_module.hpp"
#include "log/log_store.hpp"
#include "log/remote_syslog.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::log;
using namespace std::chrono;

namespace {

// Log lines are local time; the tests pin the zone.
struct Utc {
  Utc() {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TimePoint at(int y, int mo, int d, int h, int mi, int s, int micros) {
  tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = s;
  return system_clock::from_time_t(timegm(&t)) + microseconds(micros);
}

}  // namespace

TEST_CASE("log lines read like reference 4.3.3", "[log]") {
  Utc utc;
  Entry e{at(2025, 3, 6, 13, 41, 43, 279270), "maid", 12341, "NTP_SERVERS new row 0"};
  CHECK(formatLine(e) == "2025-03-06_13:41:43.27927 maid[12341]: NTP_SERVERS new row 0");
  Entry action{at(2025, 5, 5, 9, 47, 8, 189549), "action", std::nullopt,
               "admin:admin performed the action 'profile/save' via Webinterface"};
  CHECK(formatLine(action) ==
        "2025-05-05_09:47:08.18954 action : admin:admin performed the action 'profile/save' via Webinterface");
  Entry up{at(2025, 3, 22, 6, 46, 45, 279630), "uptime-audit", std::nullopt, "UPTIME: 2 days, 20 min"};
  CHECK(formatLine(up) == "2025-03-22_06:46:45.27963 uptime-audit : UPTIME: 2 days, 20 min");
}

TEST_CASE("time stamps have five fractional digits in local time", "[log]") {
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  tzset();
  CHECK(formatTimestamp(at(2025, 6, 11, 13, 21, 23, 929079), Zone::Local) == "2025-06-11_15:21:23.92907");
  CHECK(formatTimestamp(at(2025, 6, 11, 13, 21, 23, 929079), Zone::Utc) == "2025-06-11_13:21:23.92907");
  CHECK(formatTimestamp(at(2025, 1, 1, 0, 0, 0, 9), Zone::Utc) == "2025-01-01_00:00:00.00000");
  Utc utc;
}

TEST_CASE("remote syslog datagrams carry UTC stamps as in reference 4.3.13", "[log]") {
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  tzset();
  Entry e{at(2025, 6, 11, 13, 21, 23, 929070), "ham-ssv", std::nullopt, "INFO sigterm (request to terminate)"};
  CHECK(formatRemote(e) == "2025-06-11_13:21:23.92907 <13>Jun 11 13:21:23 ham-ssv: INFO sigterm (request to terminate)");
  Entry d{at(2025, 6, 1, 1, 2, 3, 0), "maid", 7, "x"};
  CHECK(formatRemote(d) == "2025-06-01_01:02:03.00000 <13>Jun  1 01:02:03 maid[7]: x");
  Utc utc;
}

TEST_CASE("uptime texts use the reference's wording", "[log]") {
  CHECK(uptimeText(hours(47) + minutes(51)) == "1 day, 23:51");
  CHECK(uptimeText(hours(48) + minutes(20)) == "2 days, 20 min");
  CHECK(uptimeText(hours(75) + minutes(24)) == "3 days, 3:24");
  CHECK(uptimeText(seconds(0)) == "0 min");
  CHECK(uptimeText(minutes(59) + seconds(59)) == "59 min");
  CHECK(uptimeText(hours(1)) == "1:00");
  CHECK(uptimeText(hours(24)) == "1 day, 0 min");
}

TEST_CASE("times for queries are absolute local times or relative", "[log]") {
  Utc utc;
  auto now = at(2025, 3, 6, 12, 0, 0, 0);
  CHECK(parseTime("2025-03-06", now) == at(2025, 3, 6, 0, 0, 0, 0));
  CHECK(parseTime("2025-03-06_13:41", now) == at(2025, 3, 6, 13, 41, 0, 0));
  CHECK(parseTime("2025-03-06_13:41:43", now) == at(2025, 3, 6, 13, 41, 43, 0));
  CHECK(parseTime("-30m", now) == now - minutes(30));
  CHECK(parseTime("-2h", now) == now - hours(2));
  CHECK(parseTime("-7d", now) == now - hours(168));
  CHECK_FALSE(parseTime("yesterday", now));
  CHECK_FALSE(parseTime("-3x", now));
  CHECK_FALSE(parseTime("2025-03-06_13", now));
  CHECK_FALSE(parseTime("-99999999999d", now));
  CHECK_FALSE(parseTime("-4444444d", now));  // found by path_fuzz: overflowed the clock
  CHECK_FALSE(parseTime("2825-03-06_13:41:43", now));  // found by path_fuzz: the same
  CHECK(parseTime("2200-01-01", now));
  CHECK(parseTime("-36500d", now) == now - hours(24 * 36500));
}

TEST_CASE("the log store keeps entries and answers queries by time, tag and text", "[log]") {
  test::TempDir dir;
  runtime::ManualClock clock(at(2025, 3, 6, 0, 0, 0, 0));
  auto store = LogStore::open({.path = dir / "logs.db"}, clock);
  REQUIRE(store);
  for (int i = 0; i < 100; ++i) {
    (*store)->write({at(2025, 3, 6, 0, i, 0, 0), i % 2 ? "maid" : "action", i % 2 ? std::optional<int>(42) : std::nullopt,
                     "message " + std::to_string(i)});
  }
  (*store)->flush();
  auto all = query(dir / "logs.db", {});
  REQUIRE(all);
  REQUIRE(all->size() == 100);
  CHECK((*all)[1].pid == 42);
  CHECK_FALSE((*all)[0].pid);
  CHECK(query(dir / "logs.db", {.tag = "maid"})->size() == 50);
  auto grep = query(dir / "logs.db", {.text = "message 9"});
  CHECK(grep->size() == 11);  // 9, 90..99
  auto tail = query(dir / "logs.db", {.tail = 3});
  REQUIRE(tail->size() == 3);
  CHECK(tail->back().message == "message 99");
  CHECK(tail->front().message == "message 97");
  auto range = query(dir / "logs.db", {.since = at(2025, 3, 6, 0, 10, 0, 0), .until = at(2025, 3, 6, 0, 19, 0, 0)});
  CHECK(range->size() == 10);
}

TEST_CASE("the log store drops the oldest entries beyond its cap and by age", "[log]") {
  test::TempDir dir;
  runtime::ManualClock clock(at(2025, 3, 20, 0, 0, 0, 0));
  auto store = LogStore::open({.path = dir / "logs.db", .maxEntries = 50, .batchSize = 10}, clock);
  REQUIRE(store);
  for (int i = 0; i < 120; ++i) (*store)->write({at(2025, 3, 1 + i / 10, 0, 0, 0, 0), "t", {}, std::to_string(i)});
  (*store)->flush();
  auto all = query(dir / "logs.db", {});
  REQUIRE(all->size() == 50);
  CHECK(all->front().message == "70");
  (*store)->setMaxDays(10);  // keep entries of the last ten days: from 2025-03-10
  (*store)->write({clock.now(), "t", {}, "now"});
  (*store)->flush();
  all = query(dir / "logs.db", {});
  REQUIRE_FALSE(all->empty());
  CHECK(all->front().time >= at(2025, 3, 10, 0, 0, 0, 0));
  CHECK(all->back().message == "now");
  CHECK(all->size() == 31);  // the 30 entries of 2025-03-10 .. 2025-03-12, and "now"
}

TEST_CASE("the uptime-audit line is written every 30 minutes", "[log]") {
  boost::asio::io_context io;
  runtime::ManualClock clock;
  clock.setUptime(hours(47) + minutes(21));
  runtime::ManualTimers timers(clock);
  Log log(clock);
  test::MemorySink sink;
  log.addSink(sink);
  RemoteSyslog remote(io);
  LogModule module(timers, log, nullptr, remote);
  auto config = std::make_shared<const config::Config>(config::factoryDefault(config::Schema::builtin()));
  REQUIRE(module.start(config));
  timers.advance(minutes(29));
  CHECK(sink.entries.empty());
  timers.advance(minutes(1));
  REQUIRE(sink.entries.size() == 1);
  CHECK(sink.entries[0].tag == "uptime-audit");
  CHECK(sink.entries[0].message == "UPTIME: 1 day, 23:51");
  timers.advance(minutes(30));
  REQUIRE(sink.entries.size() == 2);
  CHECK(sink.entries[1].message == "UPTIME: 2 days, 21 min");
  module.stop();
  timers.advance(hours(2));
  CHECK(sink.entries.size() == 2);
  CHECK(timers.pending() == 0);
}

TEST_CASE("log entries reach the configured remote syslog servers over UDP", "[log]") {
  Utc utc;
  std::uint16_t port = 0;
  int fd = test::udpOnLoopback(port);
  REQUIRE(fd >= 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  boost::asio::io_context io;
  runtime::ManualClock clock(at(2025, 6, 11, 13, 21, 23, 929070));
  Log log(clock);
  RemoteSyslog remote(io);
  log.addSink(remote);
  runtime::AsioTimers timers(io);
  LogModule module(timers, log, nullptr, remote);
  auto config = std::make_shared<config::Config>(config::factoryDefault(config::Schema::builtin()));
  const auto& table = *config::Schema::builtin().find("LOGGING_REMOTE_SERVERS");
  config::Row row = config::defaultRow(table, "MAIv9");
  row.fields["SERVER_IP"].text = "127.0.0.1";
  row.fields["SERVER_PORT"].text = std::to_string(port);
  config->values["LOGGING_REMOTE_SERVERS"].rows.push_back(row);

  REQUIRE(module.start(config));
  log.write("ham-ssv", "not sent: remote logging is off");
  auto on = std::make_shared<config::Config>(*config);
  on->values["LOGGING_REMOTE_ENABLE"].text = "yes";
  REQUIRE(module.reconfigure(on, config::diff(config::Schema::builtin(), *config, *on)));
  log.write("ham-ssv", "INFO sigterm (request to terminate)");
  char buf[512];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)) ==
        "2025-06-11_13:21:23.92907 <13>Jun 11 13:21:23 ham-ssv: INFO sigterm (request to terminate)");
  module.stop();
  close(fd);
}

TEST_CASE("the log store keeps its size under the byte cap, dropping the oldest", "[log]") {
  test::TempDir dir;
  runtime::ManualClock clock(at(2025, 3, 20, 0, 0, 0, 0));
  constexpr std::size_t kCap = 256 * 1024;
  auto store = LogStore::open({.path = dir / "logs.db", .maxBytes = kCap, .batchSize = 100}, clock);
  REQUIRE(store);
  std::string filler(200, 'x');
  for (int i = 0; i < 5000; ++i) (*store)->write({clock.now(), "t", {}, std::to_string(i) + " " + filler});
  (*store)->flush();
  auto all = query(dir / "logs.db", {});
  REQUIRE(all);
  CHECK(all->size() < 5000);
  CHECK(all->size() * filler.size() < kCap);
  CHECK(all->back().message.starts_with("4999 "));  // the newest are kept
  CHECK_FALSE(all->front().message.starts_with("0 "));
  CHECK((*store)->failed() == 0);
}

TEST_CASE("kernel records become the reference's kernel lines", "[log]") {
  using bulwark::log::formatKmsgRecord;
  CHECK(formatKmsgRecord("6,339,5330215135,-;e1000: eth0 NIC Link is Down\n") ==
        "[ 5330.215135] e1000: eth0 NIC Link is Down");
  CHECK(formatKmsgRecord("6,1,140900,-,caller=T1;NET: Registered\n SUBSYSTEM=net\n") == "[    0.140900] NET: Registered");
  CHECK(formatKmsgRecord("4,2,5,c;tab\there") == "[    0.000005] tab here");
  CHECK_FALSE(formatKmsgRecord(" SUBSYSTEM=net"));
  CHECK_FALSE(formatKmsgRecord("garbage"));
  CHECK_FALSE(formatKmsgRecord("6,1,x,-;text"));
}
