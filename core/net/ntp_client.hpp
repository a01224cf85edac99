// The NTP client of the appliance (NTP_ENABLE, NTP_SERVERS): on the loop,
// without a daemon (Debian's busybox has no ntpd; chrony would bring a
// daemon and its libraries for what fits in a few hundred lines here; it
// does not discipline the clock's frequency, only its offset). Each round
// asks every server three times while the time is not synchronised, once
// after (one UDP socket per exchange, a random nonce as transmit time stamp),
// keeps each server's exchange with the smallest round trip, drops servers
// more than 128 ms from the median of the others (no majority, no time),
// and takes the best of the rest (lowest stratum, then delay). An offset
// above 128 ms steps the clock, a smaller one is slewed (adjtime); then the
// kernel is told the clock is synchronised (adjtimex clears STA_UNSYNC, so it
// also keeps the RTC in step). Once synchronised, an offset above 1000 s is
// not taken. Polls every 64 s, doubling to 1024 s while the offset stays
// below 50 ms (and on a RATE kiss); three rounds without an answer make the
// time not synchronised. Only PID 1 of the image owns the system clock: as
// a process, or in a namespace, the client measures and reports but sets
// nothing.
// Log lines (tag "ntp") on synchronisation, steps and loss, not per poll.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "log/log.hpp"
#include "net/time_status.hpp"
#include "runtime/timers.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::net {

// The system clock as the NTP client sees it.
class SystemTime {
 public:
  virtual ~SystemTime() = default;
  // CLOCK_REALTIME in seconds since 1970.
  virtual double now() const = 0;
  // False when the clock is not this process's to set: measure only.
  virtual bool owned() const = 0;
  virtual Status step(double offset) = 0;
  virtual Status slew(double offset) = 0;
  // Tells the kernel the clock is synchronised, within `maxError` seconds.
  virtual void synchronised(double maxError) = 0;
};

// The kernel's clock (clock_settime, adjtime, adjtimex).
class KernelTime final : public SystemTime {
 public:
  explicit KernelTime(bool owned) : owned_(owned) {}
  double now() const override;
  bool owned() const override { return owned_; }
  Status step(double offset) override;
  Status slew(double offset) override;
  void synchronised(double maxError) override;

 private:
  bool owned_;
};

struct NtpTiming {
  std::chrono::milliseconds answerTimeout{1500};  // per exchange
  std::chrono::milliseconds spacing{500};         // between the exchanges with one server
  std::chrono::milliseconds minPoll{64000};
  std::chrono::milliseconds maxPoll{1024000};
  std::chrono::milliseconds retry{16000};         // after a round without an answer, doubling to minPoll
};

class NtpClient {
 public:
  using Timing = NtpTiming;
  // Resolves a host name to IPv4 addresses (resolver.hpp), calling back on the loop.
  using Resolve = std::function<void(const std::string& name,
                                     std::function<void(Result<std::vector<std::string>>)> done)>;

  // Without `resolve`, servers must be given as addresses.
  NtpClient(boost::asio::io_context& io, runtime::Timers& timers, log::Log& log, SystemTime& time,
            Timing timing = NtpTiming(), Resolve resolve = {});
  ~NtpClient();

  // Starts polling `servers` ("host" or "host:port", a host name or an IPv4
  // address; port 123 by default) at once, or stops when `enabled` is false.
  // Names are resolved anew each round; up to three addresses of a name are
  // asked.
  void configure(bool enabled, const std::vector<std::string>& servers);
  TimeStatus status() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulwark::net
