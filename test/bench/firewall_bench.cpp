// The in-process half of scripts/bench/firewall: makes the benchmark inputs
// and times what only runs in-process, through the packet filter's public
// API (compile(), the nftables backend's load(), the NFLOG reader), so that
// whatever the compiler and the backend learn shows here by itself. The
// script runs each timing in a fresh network namespace of its own; this
// program never creates or leaves one.
//
//   firewall_bench generate N DIR   N FW_INCOMING rules, each with its own
//                                   source address and destination port,
//                                   alike in all else (TCP, accept, no log,
//                                   no comment), as
//                                     DIR/rules-N.atv     the profile
//                                     DIR/naive-N.nft     one nft rule per
//                                                         configured rule
//                                     DIR/iptables-N.rules  the same for
//                                                         iptables-restore
//   firewall_bench apply ATV        compile + load of the profile: ms
//   firewall_bench load ATV         load of the compiled ruleset, the
//                                   compiler untimed: ms
//   firewall_bench toggle ATV RUNS  the profile plus a rule record "bench"
//                                   of 10 rules (ROWID MAIv900000001),
//                                   loaded inactive, then switched on and
//                                   off RUNS times as the firewall module
//                                   does (its dispatch chain alone): the
//                                   best switch in ms; it ends switched on
//   firewall_bench nflog PACKETS DIR  a logged UDP rule on loopback, PACKETS
//                                   datagrams sent as fast as one thread can
//                                   to it, the lines read by NflogReader on
//                                   an io_context into a LogStore in DIR:
//                                   "<stored lines/s> <sent> <logged> <lost>
//                                   <store-dropped>"
//
// Results go to standard output; notes to standard error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "board.hpp"
#include "bench_util.hpp"
#include "config/atv.hpp"
#include "config/config.hpp"
#include "firewall/compiler.hpp"
#include "firewall/firewall_module.hpp"
#include "firewall/nflog.hpp"
#include "firewall/nft_backend.hpp"
#include "firewall/ruleset.hpp"
#include "log/log.hpp"
#include "log/log_store.hpp"
#include "runtime/clock.hpp"

namespace {

using namespace bulwark;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kFirstPort = 1024;
constexpr std::uint16_t kLogPort = 5140;  // the UDP port of the NFLOG figure

int usage() {
  std::fputs("usage: firewall_bench generate N DIR | apply ATV | load ATV | toggle ATV RUNS | nflog PACKETS DIR\n", stderr);
  return 2;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "firewall_bench: %s\n", what.c_str());
  return 1;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Rule i: from 10.x.y.z (i + 1 as the low three bytes) to port 1024 + i.
std::string source(long i) { return ipv4Text(0x0a000000u + static_cast<std::uint32_t>(i + 1)); }
unsigned port(long i) { return kFirstPort + static_cast<unsigned>(i); }

int generate(long n, const fs::path& dir) {
  if (n > 65535 - kFirstPort) return fail(fmt::format("at most {} rules (one port each)", 65535 - kFirstPort));
  const config::Schema& schema = config::Schema::builtin();
  config::Config cfg = config::factoryDefault(schema);
  const config::Variable* table = schema.find("FW_INCOMING");
  if (!table) return fail("the schema has no FW_INCOMING");
  std::vector<config::Row> rows;
  rows.reserve(static_cast<std::size_t>(n));
  std::string naive =
      "table inet naive {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n";
  std::string legacy = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (long i = 0; i < n; ++i) {
    config::Row row = config::defaultRow(*table, fmt::format("MAIv{}", 300000000 + i));
    row.fields["COMMENT"] = config::Value::scalar("");
    row.fields["DST_IP"] = config::Value::scalar("0.0.0.0/0");
    row.fields["DST_PORT"] = config::Value::scalar(std::to_string(port(i)));
    row.fields["LOG"] = config::Value::scalar("no");
    row.fields["PROTO"] = config::Value::scalar("tcp");
    row.fields["SRC_IP"] = config::Value::scalar(source(i) + "/32");
    row.fields["SRC_PORT"] = config::Value::scalar("any");
    row.fields["TARGET"] = config::Value::scalar("accept");
    rows.push_back(std::move(row));
    naive += fmt::format("\t\tip saddr {} tcp dport {} accept\n", source(i), port(i));
    legacy += fmt::format("-A FORWARD -s {}/32 -p tcp -m tcp --dport {} -j ACCEPT\n", source(i), port(i));
  }
  naive += "\t}\n}\n";
  legacy += "COMMIT\n";
  cfg.values["FW_INCOMING"] = config::Value::table(std::move(rows));
  if (Status s = config::validate(schema, cfg); !s) return fail("the generated configuration is invalid: " + s.message());
  if (!bench::writeFile(dir / fmt::format("rules-{}.atv", n), config::writeAtv(schema, cfg), "firewall_bench") ||
      !bench::writeFile(dir / fmt::format("naive-{}.nft", n), naive, "firewall_bench") ||
      !bench::writeFile(dir / fmt::format("iptables-{}.rules", n), legacy, "firewall_bench")) {
    return 1;
  }
  std::printf("%ld\n", n);
  return 0;
}

// The configuration of an ATV profile on top of the factory default, read
// as `bulwark fw show --atv` reads it (the same row ids, so the same log ids).
Result<config::Config> readProfile(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return Error{fmt::format("cannot read {}", file.string())};
  std::stringstream text;
  text << in.rdbuf();
  const config::Schema& schema = config::Schema::builtin();
  config::RowIdGenerator ids(1);
  return config::importProfile(schema, text.str(), config::factoryDefault(schema), ids);
}

Result<firewall::Interfaces> interfaces() {
  auto board = platform::findBoard("qemu");  // fw show's default board
  if (!board) return Error{board.error()};
  return firewall::interfacesOf(*board);
}

std::size_t ruleCount(const firewall::Ruleset& rs) {
  std::size_t n = 0;
  for (const firewall::Chain& c : rs.chains) n += c.rules.size();
  return n;
}

// `compiled`: whether the compiler is part of the time.
int applyOrLoad(const fs::path& atv, bool compiled) {
  auto cfg = readProfile(atv);
  if (!cfg) return fail(cfg.error());
  auto ifs = interfaces();
  if (!ifs) return fail(ifs.error());
  auto start = Clock::now();
  auto ruleset = firewall::compile(*cfg, *ifs);
  if (!ruleset) return fail(ruleset.error());
  auto compiledAt = Clock::now();
  if (!compiled) start = compiledAt;
  if (Status s = firewall::load(*ruleset); !s) return fail(s.message());
  auto end = Clock::now();
  std::fprintf(stderr, "firewall_bench: %zu chains, %zu rules: compile %.1f ms, load %.1f ms\n",
               ruleset->chains.size(), ruleCount(*ruleset), ms(compiledAt - (compiled ? start : compiledAt)),
               ms(end - compiledAt));
  std::printf("%.3f\n", ms(end - start));
  return 0;
}

// The record the toggle switches: 10 rules, as the nft anchor's chain.
std::string benchRecord() {
  std::string rows;
  for (int i = 1; i <= 10; ++i) {
    rows += fmt::format("      {{ DST_PORT = \"502\" PROTO = \"tcp\" SRC_IP = \"192.0.2.{}/32\" }}\n", i);
  }
  return fmt::format("FW_RULESETS = {{\n  {{\n    ROWID = \"MAIv900000001\"\n    FRIENDLY_NAME = \"bench\"\n"
                     "    SET = {{\n{}    }}\n  }}\n}}\n",
                     rows);
}

int toggle(const fs::path& atv, long runs) {
  std::ifstream in(atv);
  std::stringstream text;
  text << in.rdbuf();
  std::string profile = text.str();
  const std::string empty = "FW_RULESETS = {\n}\n";
  auto at = profile.find(empty);
  if (at != std::string::npos) {
    profile.replace(at, empty.size(), benchRecord());
  } else {
    auto trailer = profile.rfind("// End of configuration profile");
    if (trailer == std::string::npos) return fail("the profile has no trailer");
    profile.insert(trailer, benchRecord());
  }
  const config::Schema& schema = config::Schema::builtin();
  config::RowIdGenerator ids(1);
  auto cfg = config::importProfile(schema, profile, config::factoryDefault(schema), ids);
  if (!cfg) return fail(cfg.error());
  auto ifs = interfaces();
  if (!ifs) return fail(ifs.error());
  auto ruleset = firewall::compile(*cfg, *ifs);
  if (!ruleset) return fail(ruleset.error());
  if (Status s = firewall::load(*ruleset); !s) return fail(s.message());
  double best = 1e9;
  for (long i = 0; i < 2 * runs; ++i) {
    bool on = i % 2 == 0;
    auto start = Clock::now();
    firewall::Ruleset patch;
    patch.chains.push_back(firewall::recordDispatch(*cfg, on ? firewall::State{{"MAIv900000001"}} : firewall::State{}));
    if (Status s = firewall::replaceChain(patch, firewall::kRecordDispatch); !s) return fail(s.message());
    best = std::min(best, ms(Clock::now() - start));
  }
  firewall::Ruleset on;
  on.chains.push_back(firewall::recordDispatch(*cfg, firewall::State{{"MAIv900000001"}}));
  if (Status s = firewall::replaceChain(on, firewall::kRecordDispatch); !s) return fail(s.message());
  std::fprintf(stderr, "firewall_bench: %zu sets, record switched %ld times each way\n", ruleset->sets.size(), runs);
  std::printf("%.3f\n", best);
  return 0;
}

// Counts the packet lines as they reach the log, and keeps the first one
// to show.
class LineCounter final : public log::Sink {
 public:
  void write(const log::Entry& entry) override {
    if (entry.message.starts_with("fw-")) {
      if (first_.empty()) first_ = entry.message;
      last_ = Clock::now();
    }
  }
  const std::string& first() const { return first_; }
  Clock::time_point last() const { return last_; }

 private:
  std::string first_;
  Clock::time_point last_{};
};

// Datagrams to 127.0.0.1:kLogPort as fast as one thread sends them.
void sendDatagrams(long count, std::atomic<long>& sent, Clock::duration& took) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(kLogPort);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    std::perror("firewall_bench: UDP socket");
    if (fd >= 0) close(fd);
    return;
  }
  char payload[64] = "bulwark firewall benchmark";
  long n = 0;
  auto start = Clock::now();
  for (long i = 0; i < count; ++i) {
    if (send(fd, payload, sizeof payload, 0) == static_cast<ssize_t>(sizeof payload)) ++n;
  }
  took = Clock::now() - start;
  sent.store(n);
  close(fd);
}

int nflog(long packets, const fs::path& dir) {
  // Logged like an incoming rule with logging: input, from lo, UDP to our port.
  firewall::Ruleset rs;
  firewall::Chain input{"input", "filter", "input", 0, firewall::Verdict::Accept, {}};
  firewall::Rule logged;
  logged.iif = "lo";
  logged.daddr = firewall::Prefix{INADDR_LOOPBACK, 32};
  logged.protocol = firewall::Protocol::Udp;
  logged.dport = firewall::PortRange{kLogPort, kLogPort};
  logged.logPrefix = "fw-incoming-1-3189b8c7-8002-1315-805d-a8741dfd1b11 act=ACCEPT";
  logged.logGroup = firewall::kLogGroup;
  logged.verdict = firewall::Verdict::Accept;
  input.rules.push_back(logged);
  rs.chains.push_back(std::move(input));
  if (Status s = firewall::load(rs); !s) return fail(s.message());

  // Someone listens (no ICMP errors back), but never reads: the datagrams
  // are logged on input and then dropped when the socket is full.
  int sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(kLogPort);
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (sink < 0 || bind(sink, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) return fail("cannot bind the UDP port");

  runtime::SystemClock clock;
  log::Log log(clock);
  LineCounter counter;
  log.addSink(counter);
  auto store = log::LogStore::open({.path = dir / "logs.db"}, clock);
  if (!store) return fail(store.error());
  log.addSink(**store);
  boost::asio::io_context io;
  auto reader = firewall::NflogReader::open(io, log, firewall::kLogGroup);
  if (!reader) return fail(reader.error());

  std::atomic<long> sent{-1};
  Clock::duration sending{};
  auto start = Clock::now();  // for the time of the last line
  std::thread sender(sendDatagrams, packets, std::ref(sent), std::ref(sending));
  // The rate is that of the lines stored while the sender ran (the loop
  // notices its end within a millisecond or two); then, until every sent
  // packet is a line or a counted loss, or nothing came for two seconds, the
  // rest is drained to count the drops. The drain is not timed: NFLOG sends
  // a partly filled buffer only after its flush timeout (one second).
  std::optional<std::uint64_t> inWindow;
  auto progress = Clock::now();
  std::uint64_t seen = 0;
  while (true) {
    io.run_for(std::chrono::milliseconds(2));
    if (io.stopped()) io.restart();
    long done = sent.load();
    if (done >= 0 && !inWindow) inWindow = (*reader)->logged();
    std::uint64_t now = (*reader)->logged() + (*reader)->lost();
    if (now != seen) {
      seen = now;
      progress = Clock::now();
    }
    if (done >= 0 && static_cast<long>(seen) >= done) break;
    if (done >= 0 && Clock::now() - progress > std::chrono::seconds(2)) break;
  }
  sender.join();
  auto drained = Clock::now();
  (*store)->flush();
  auto flushed = Clock::now();
  close(sink);
  std::uint64_t lines = (*reader)->logged();
  std::uint64_t lost = (*reader)->lost();
  std::size_t storeDropped = (*store)->dropped() + (*store)->failed();
  double window = std::chrono::duration<double>(sending).count();
  std::fprintf(stderr,
               "firewall_bench: %ld sent in %.3f s, %llu lines by then; %llu lines in all (the last %.3f s after the "
               "start), %llu lost (NFLOG sequence), %zu dropped by the store, its flush after the drain %.1f ms\n",
               sent.load(), window, static_cast<unsigned long long>(*inWindow), static_cast<unsigned long long>(lines),
               std::chrono::duration<double>(counter.last() - start).count(), static_cast<unsigned long long>(lost),
               storeDropped, ms(flushed - drained));
  std::fprintf(stderr, "firewall_bench: first line: %s\n", counter.first().c_str());
  if (lines == 0) return fail("no packet was logged");
  // Stored lines: what the store dropped (its queue full) does not count.
  double stored = static_cast<double>(*inWindow) - static_cast<double>(std::min<std::uint64_t>(storeDropped, *inWindow));
  std::printf("%.0f %ld %llu %llu %zu\n", stored / window, sent.load(),
              static_cast<unsigned long long>(lines), static_cast<unsigned long long>(lost), storeDropped);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  std::string_view command = args[0];
  if (command == "generate" && args.size() == 3) {
    auto n = bench::positiveNumber(args[1]);
    if (!n) return usage();
    return generate(*n, fs::path(args[2]));
  }
  if ((command == "apply" || command == "load") && args.size() == 2) {
    return applyOrLoad(fs::path(args[1]), command == "apply");
  }
  if (command == "toggle" && args.size() == 3) {
    auto n = bench::positiveNumber(args[2]);
    if (!n) return usage();
    return toggle(fs::path(args[1]), *n);
  }
  if (command == "nflog" && args.size() == 3) {
    auto n = bench::positiveNumber(args[1]);
    if (!n) return usage();
    return nflog(*n, fs::path(args[2]));
  }
  return usage();
}
