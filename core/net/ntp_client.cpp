#include "net/ntp_client.hpp"
#include "common/number.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "net/ntp.hpp"
#include "runtime/fd_watch.hpp"

namespace bulwark::net {

// --- the kernel's clock --------------------------------------------------------

double KernelTime::now() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

Status KernelTime::step(double offset) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  double target = static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9 + offset;
  double whole = std::floor(target);
  timespec next{static_cast<time_t>(whole), static_cast<long>((target - whole) * 1e9)};
  if (clock_settime(CLOCK_REALTIME, &next) != 0) return Error{fmt::format("cannot set the clock: {}", std::strerror(errno))};
  return {};
}

Status KernelTime::slew(double offset) {
  double whole = std::trunc(offset);
  timeval delta{static_cast<time_t>(whole), static_cast<suseconds_t>((offset - whole) * 1e6)};
  if (adjtime(&delta, nullptr) != 0) return Error{fmt::format("cannot slew the clock: {}", std::strerror(errno))};
  return {};
}

void KernelTime::synchronised(double maxError) {
  timex tx{};
  if (adjtimex(&tx) < 0) return;
  long micro = static_cast<long>(std::min(maxError, 16.0) * 1e6);
  timex set{};
  set.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
  set.status = tx.status & ~STA_UNSYNC;
  set.maxerror = micro;
  set.esterror = micro;
  (void)adjtimex(&set);
}

// --- the client ----------------------------------------------------------------

namespace {

constexpr int kBurst = 3;             // exchanges per server while not synchronised; one after
constexpr double kPanic = 1000.0;      // seconds: once synchronised, no step this large (ntpd's PANICT)
constexpr double kStepAbove = 0.128;  // seconds: step rather than slew (ntpd's STEPT)
constexpr double kCalm = 0.05;        // seconds: below this the poll interval may grow
constexpr int kLostAfter = 3;         // rounds without an answer

// A configured server: a host (name or address) and a port.
struct Entry {
  std::string text;
  std::string host;
  std::uint16_t port = 123;
};

// A server to ask in this round: an address of an entry.
struct Server {
  std::string text;  // "10.0.2.2" or "pool.ntp.org (192.0.2.7)"
  std::string key;   // "address:port"
  sockaddr_in address{};
  std::optional<ntp::Sample> best;
  ntp::Reply bestReply;
};

std::optional<Entry> parseEntry(const std::string& text) {
  Entry e{text, text, 123};
  if (auto colon = text.rfind(':'); colon != std::string::npos) {
    e.host = text.substr(0, colon);
    std::string digits = text.substr(colon + 1);
    auto port = toNumber<std::uint16_t>(digits);
    if (!port || *port == 0) return {};
    e.port = *port;
  }
  bool name = !e.host.empty() && e.host.size() <= 253 && std::all_of(e.host.begin(), e.host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
  if (!name) return {};
  return e;
}

bool isAddress(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

ntp::Timestamp randomNonce() {
  ntp::Timestamp t;
  std::uint32_t words[2] = {};
  if (getrandom(words, sizeof words, 0) != sizeof words) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    words[0] = static_cast<std::uint32_t>(ts.tv_sec);
    words[1] = static_cast<std::uint32_t>(ts.tv_nsec);
  }
  t.seconds = words[0] | 1;  // never the all-zero "unknown" time stamp
  t.fraction = words[1];
  return t;
}

}  // namespace

struct NtpClient::Impl : std::enable_shared_from_this<Impl> {
  boost::asio::io_context& io;
  runtime::Timers& timers;
  log::Log& log;
  SystemTime& time;
  Timing timing;

  NtpClient::Resolve resolve;
  bool enabled = false;
  std::vector<Entry> entries;
  std::vector<Server> servers;        // this round's
  std::set<std::string> denied;       // kiss code DENY or RSTR: not asked again until reconfigured
  std::set<std::string> unresolved;   // entries whose failure to resolve has been logged
  std::size_t resolving = 0;
  TimeStatus status;
  int failedRounds = 0;
  int perServer = kBurst;     // exchanges per server in this round
  bool rateLimited = false;   // a server said RATE in this round
  bool disagreeSaid = false;
  bool synchronisedOnce = false;  // since configure(): guards against large steps
  std::chrono::milliseconds poll{0};
  bool notOwnedSaid = false;

  // The exchange in flight.
  std::size_t current = 0;
  int tries = 0;
  int fd = -1;
  std::unique_ptr<runtime::FdWatch> watch;
  ntp::Timestamp nonce;
  double sentAt = 0;
  runtime::Timers::Id timer = 0;
  std::uint64_t generation = 0;  // bumped by configure: callbacks of an older one do nothing

  Impl(boost::asio::io_context& io, runtime::Timers& timers, log::Log& log, SystemTime& time, Timing timing,
       NtpClient::Resolve resolve)
      : io(io), timers(timers), log(log), time(time), timing(timing), resolve(std::move(resolve)) {}

  ~Impl() {
    closeExchange();
    if (timer) timers.cancel(timer);
  }

  void closeExchange() {
    watch.reset();
    if (fd >= 0) close(fd);
    fd = -1;
  }

  void later(std::chrono::milliseconds delay, void (Impl::*step)()) {
    if (timer) timers.cancel(timer);
    timer = timers.after(delay, [weak = weak_from_this(), step, gen = generation] {
      auto self = weak.lock();
      if (!self || gen != self->generation) return;
      self->timer = 0;
      ((*self).*step)();
    });
  }

  void configure(bool on, const std::vector<std::string>& list) {
    ++generation;
    closeExchange();
    if (timer) timers.cancel(timer);
    timer = 0;
    servers.clear();
    entries.clear();
    denied.clear();
    unresolved.clear();
    synchronisedOnce = false;
    enabled = on;
    if (!on) {
      status.ntp = TimeStatus::Ntp::Disabled;
      status.rounds = 0;
      return;
    }
    if (status.ntp == TimeStatus::Ntp::Disabled) status.ntp = TimeStatus::Ntp::NotSynchronised;
    for (const std::string& text : list) {
      auto entry = parseEntry(text);
      if (!entry || (!resolve && !isAddress(entry->host))) {
        log.write("ntp", fmt::format("NTP server '{}' left out: {}", text,
                                     entry ? "no resolver for host names here" : "not a host name or address"));
        continue;
      }
      entries.push_back(*entry);
    }
    if (entries.empty()) {
      log.write("ntp", "NTP is enabled but no server can be asked");
      status.ntp = TimeStatus::Ntp::NotSynchronised;
      return;
    }
    failedRounds = 0;
    poll = timing.minPoll;
    round();
  }

  // A round: the entries' addresses (names resolved anew: pools change), then
  // the exchanges with each.
  void round() {
    servers.clear();
    resolving = entries.size();
    for (const Entry& e : entries) {
      auto found = [weak = weak_from_this(), gen = generation, e](Result<std::vector<std::string>> addresses) {
        auto self = weak.lock();
        if (!self || gen != self->generation) return;
        self->found(e, std::move(addresses));
      };
      if (isAddress(e.host) || !resolve) {
        found(std::vector<std::string>{e.host});
      } else {
        resolve(e.host, std::move(found));
      }
    }
  }

  void found(const Entry& e, Result<std::vector<std::string>> addresses) {
    if (!addresses) {
      if (unresolved.insert(e.text).second) log.write("ntp", fmt::format("NTP server {}", addresses.error()));
    } else {
      unresolved.erase(e.text);
      std::size_t taken = 0;
      for (const std::string& text : *addresses) {
        Server s;
        s.key = fmt::format("{}:{}", text, e.port);
        if (denied.count(s.key) || taken == 3) continue;
        s.text = isAddress(e.host) ? e.text : fmt::format("{} ({})", e.text, text);
        s.address.sin_family = AF_INET;
        s.address.sin_port = htons(e.port);
        inet_pton(AF_INET, text.c_str(), &s.address.sin_addr);
        servers.push_back(std::move(s));
        ++taken;
      }
    }
    if (--resolving > 0) return;
    current = 0;
    tries = 0;
    // A burst only to find the time; once synchronised, one exchange a server (pools ask for that).
    perServer = status.ntp == TimeStatus::Ntp::Synchronised ? 1 : kBurst;
    exchange();
  }

  void exchange() {
    while (current < servers.size() && (denied.count(servers[current].key) || tries >= perServer)) {
      ++current;
      tries = 0;
    }
    if (current >= servers.size()) return finish();
    closeExchange();
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const Server& server = servers[current];
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&server.address), sizeof server.address) != 0) {
      closeExchange();
      tries = perServer;  // unreachable now (no route): the next server
      return exchange();
    }
    nonce = randomNonce();
    auto packet = ntp::request(nonce);
    sentAt = time.now();
    if (send(fd, packet.data(), packet.size(), 0) != static_cast<ssize_t>(packet.size())) {
      closeExchange();
      tries = perServer;
      return exchange();
    }
    watch = std::make_unique<runtime::FdWatch>(io, fd, [this] { receive(); });
    later(timing.answerTimeout, &Impl::timedOut);
  }

  void timedOut() {
    closeExchange();
    ++tries;
    exchange();
  }

  void receive() {
    std::uint8_t buffer[512];
    for (;;) {
      ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < 0) return;  // EAGAIN, or ECONNREFUSED: the timeout moves on
      double receivedAt = time.now();
      auto reply = ntp::parseReply(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)), nonce);
      if (!reply) {
        const std::string& why = reply.error();
        if (why.rfind("kiss code DENY", 0) == 0 || why.rfind("kiss code RSTR", 0) == 0) {
          denied.insert(servers[current].key);
          log.write("ntp", fmt::format("NTP server {} refuses us ({}); not asked again", servers[current].text, why));
        } else if (why.rfind("kiss code", 0) == 0) {
          tries = perServer;  // RATE and others: leave this server alone for this round
          if (why == "kiss code RATE") rateLimited = true;  // and ask less often
        } else if (why != "the reply does not answer our request") {
          tries = perServer;  // a server that cannot give time now
        } else {
          continue;  // a stray or forged datagram: keep waiting for ours
        }
        closeExchange();
        return later(std::chrono::milliseconds(0), &Impl::exchange);
      }
      ntp::Sample sample = ntp::measure(sentAt, ntp::toUnix(reply->receive), ntp::toUnix(reply->transmit), receivedAt);
      Server& server = servers[current];
      if (sample.delay >= 0 && (!server.best || sample.delay < server.best->delay)) {
        server.best = sample;
        server.bestReply = *reply;
      }
      closeExchange();
      ++tries;
      return later(tries < perServer ? timing.spacing : std::chrono::milliseconds(0), &Impl::exchange);
    }
  }

  // The servers that answered, without those a majority disagrees with
  // (more than 128 ms from the median offset); of the rest, the lowest
  // stratum, then the shortest round trip.
  void finish() {
    closeExchange();
    std::vector<const Server*> answered;
    for (const Server& s : servers) {
      if (s.best) answered.push_back(&s);
    }
    if (answered.empty()) return lost();
    std::vector<double> offsets;
    for (const Server* s : answered) offsets.push_back(s->best->offset);
    std::sort(offsets.begin(), offsets.end());
    double median = offsets.size() % 2 ? offsets[offsets.size() / 2]
                                       : (offsets[offsets.size() / 2 - 1] + offsets[offsets.size() / 2]) / 2;
    const Server* chosen = nullptr;
    std::size_t agreeing = 0;
    for (const Server* s : answered) {
      if (std::fabs(s->best->offset - median) > kStepAbove) continue;
      ++agreeing;
      if (!chosen || s->bestReply.stratum < chosen->bestReply.stratum ||
          (s->bestReply.stratum == chosen->bestReply.stratum && s->best->delay < chosen->best->delay)) {
        chosen = s;
      }
    }
    if (!chosen || agreeing * 2 <= answered.size()) {
      if (!disagreeSaid) {
        disagreeSaid = true;
        log.write("ntp", fmt::format("the {} NTP servers that answered disagree by more than 128 ms: no majority, no "
                                     "time taken",
                                     answered.size()));
      }
      return lost();
    }
    disagreeSaid = false;
    apply(*chosen);
  }

  // The delay before the next round, with a RATE kiss doubling the interval.
  std::chrono::milliseconds nextPoll(std::chrono::milliseconds wanted) {
    if (rateLimited) {
      rateLimited = false;
      poll = std::min(poll * 2, timing.maxPoll);
      return std::max(wanted, poll);
    }
    return wanted;
  }

  void lost() {
    ++failedRounds;
    if (failedRounds == kLostAfter && status.ntp == TimeStatus::Ntp::Synchronised) {
      status.ntp = TimeStatus::Ntp::NotSynchronised;
      status.rounds = 0;
      log.write("ntp", "no NTP server has answered for three polls: the time is not synchronised");
    } else if (failedRounds == 1 && status.ntp != TimeStatus::Ntp::Synchronised) {
      std::string names;
      for (const Entry& e : entries) names += (names.empty() ? "" : ", ") + e.text;
      log.write("ntp", fmt::format("no answer from the NTP servers ({}); trying again", names));
    }
    auto wait = timing.retry * (1 << std::min(failedRounds - 1, 6));
    later(nextPoll(std::min(wait, timing.minPoll)), &Impl::round);
  }

  void apply(const Server& server) {
    const ntp::Sample& s = *server.best;
    const ntp::Reply& r = server.bestReply;
    failedRounds = 0;
    bool agrees = std::fabs(s.offset) <= kStepAbove;
    if (time.owned() && synchronisedOnce && std::fabs(s.offset) > kPanic) {
      // Once synchronised, a jump this large is more likely a wrong or forged
      // answer than a wrong clock: not taken (enable NTP anew to accept it).
      log.write("ntp", fmt::format("NTP server {} is {:+.0f} s off the synchronised clock: more than {:.0f} s, not "
                                   "taken",
                                   server.text, s.offset, kPanic));
      return lost();
    }
    if (time.owned()) {
      Status done = agrees ? time.slew(s.offset) : time.step(s.offset);
      if (!done) {
        log.write("ntp", done.message());
        return later(timing.minPoll, &Impl::round);
      }
      if (!agrees) {
        log.write("ntp", fmt::format("system time stepped by {:+.3f} s (NTP server {})", s.offset, server.text));
      }
      time.synchronised(r.rootDelay / 2 + r.rootDispersion + s.delay / 2);
      synchronisedOnce = true;
      agrees = true;
    } else if (!notOwnedSaid) {
      notOwnedSaid = true;
      log.write("ntp", fmt::format("the system clock is not this process's to set: NTP measures only (offset "
                                   "{:+.3f} s)",
                                   s.offset));
    }
    if (agrees) {
      if (status.ntp != TimeStatus::Ntp::Synchronised) {
        log.write("ntp", fmt::format("time synchronised with NTP server {} (stratum {}): offset {:+.3f} s, delay "
                                     "{:.3f} s",
                                     server.text, r.stratum, s.offset, s.delay));
      }
      status.ntp = TimeStatus::Ntp::Synchronised;
      status.setByNtp = status.setByNtp || time.owned();
      ++status.rounds;
    } else if (status.ntp == TimeStatus::Ntp::Synchronised) {
      status.ntp = TimeStatus::Ntp::NotSynchronised;
      status.rounds = 0;
      log.write("ntp", fmt::format("the system clock is {:+.3f} s off NTP server {}: not synchronised", -s.offset,
                                   server.text));
    }
    poll = std::fabs(s.offset) < kCalm ? std::min(poll * 2, timing.maxPoll) : timing.minPoll;
    if (status.rounds <= 1) poll = timing.minPoll;
    later(nextPoll(poll), &Impl::round);
  }
};

NtpClient::NtpClient(boost::asio::io_context& io, runtime::Timers& timers, log::Log& log, SystemTime& time,
                     Timing timing, Resolve resolve)
    : impl_(std::make_shared<Impl>(io, timers, log, time, timing, std::move(resolve))) {}

NtpClient::~NtpClient() = default;

void NtpClient::configure(bool enabled, const std::vector<std::string>& servers) { impl_->configure(enabled, servers); }

TimeStatus NtpClient::status() const { return impl_->status; }

}  // namespace bulwark::net
