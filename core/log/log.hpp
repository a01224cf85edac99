// The one log API of every module, and the line format of reference ch. 4:
//   2025-03-06_13:41:43.27927 maid[12341]: NTP_SERVERS new row 0
// (local time, five fractional digits, tag, optional pid). Entries go to the
// sinks: the SQLite log store, remote syslog, the console.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/clock.hpp"

namespace bulwark::log {

using TimePoint = std::chrono::system_clock::time_point;

struct Entry {
  TimePoint time;
  std::string tag;
  std::optional<int> pid;
  std::string message;
};

enum class Zone { Local, Utc };

// "2025-03-06_13:41:43.27927": the svlogd-style stamp of the reference.
std::string formatTimestamp(TimePoint time, Zone zone);
// "<stamp> <tag>[<pid>]: <message>"
std::string formatLine(const Entry& entry, Zone zone = Zone::Local);
// The datagram sent to remote syslog servers, in UTC (reference 4.3.13, 4.4.3):
// "<stamp> <13>Mmm dd HH:MM:SS <tag>[<pid>]: <message>"
std::string formatRemote(const Entry& entry);
// "2 days, 20 min" (reference 4.3.14).
std::string uptimeText(std::chrono::seconds uptime);
// Parses "2025-03-06", "2025-03-06_13:41", "2025-03-06_13:41:43" (local time)
// or "-30m", "-2h", "-7d" relative to `now`.
std::optional<TimePoint> parseTime(std::string_view text, TimePoint now);

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const Entry& entry) = 0;
};

class Log {
 public:
  explicit Log(const runtime::Clock& clock) : clock_(clock) {}

  void addSink(Sink& sink) { sinks_.push_back(&sink); }
  void removeSink(Sink& sink);

  // On the loop only. `pid` is printed as tag[pid].
  void write(std::string_view tag, std::string message, std::optional<int> pid = std::nullopt);
  // The pid of this process, for tags that carry one (maid[pid]).
  void writeOwn(std::string_view tag, std::string message);

  const runtime::Clock& clock() const { return clock_; }

 private:
  const runtime::Clock& clock_;
  std::vector<Sink*> sinks_;
};

}  // namespace bulwark::log
