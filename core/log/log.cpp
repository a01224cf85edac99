#include "log/log.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace bulwark::log {

namespace {

tm toTm(std::time_t t, Zone zone) {
  tm out{};
  if (zone == Zone::Utc) {
    gmtime_r(&t, &out);
  } else {
    localtime_r(&t, &out);
  }
  return out;
}

// Tags the reference prints as "tag : message" (4.3.14 uptime-audit, 4.3.1
// Webinterface and action, as the issues quote them). Every other tag is printed
// "tag: message", as syslog does.
bool spacedTag(std::string_view tag) { return tag == "uptime-audit" || tag == "Webinterface" || tag == "action"; }

std::string prefix(const Entry& e) {
  std::string out = e.tag;
  if (e.pid) out += fmt::format("[{}]", *e.pid);
  out += spacedTag(e.tag) ? " : " : ": ";
  return out;
}

}  // namespace

std::string formatTimestamp(TimePoint time, Zone zone) {
  using namespace std::chrono;
  auto micros = duration_cast<microseconds>(time.time_since_epoch()).count();
  auto secs = micros / 1000000;
  auto frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  tm t = toTm(static_cast<std::time_t>(secs), zone);
  return fmt::format("{:04}-{:02}-{:02}_{:02}:{:02}:{:02}.{:05}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                     t.tm_min, t.tm_sec, frac / 10);
}

std::string formatLine(const Entry& entry, Zone zone) {
  return formatTimestamp(entry.time, zone) + " " + prefix(entry) + entry.message;
}

std::string formatRemote(const Entry& entry) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(entry.time.time_since_epoch()).count();
  tm t = toTm(static_cast<std::time_t>(secs), Zone::Utc);
  // <13>: facility user, severity notice.
  return fmt::format("{} <13>{} {:2} {:02}:{:02}:{:02} {}{}", formatTimestamp(entry.time, Zone::Utc),
                     kMonths[t.tm_mon], t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, prefix(entry), entry.message);
}

std::string uptimeText(std::chrono::seconds uptime) {
  auto s = uptime.count();
  if (s < 0) s = 0;
  auto days = s / 86400;
  auto hours = s % 86400 / 3600;
  auto minutes = s % 3600 / 60;
  std::string out;
  if (days > 0) out = fmt::format("{} day{}, ", days, days == 1 ? "" : "s");
  if (hours > 0) {
    out += fmt::format("{}:{:02}", hours, minutes);
  } else {
    out += fmt::format("{} min", minutes);
  }
  return out;
}

std::optional<TimePoint> parseTime(std::string_view text, TimePoint now) {
  if (text.size() >= 3 && text[0] == '-') {
    long n = 0;
    auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size() - 1, n);
    if (ec != std::errc{} || p != text.data() + text.size() - 1 || n < 0) return std::nullopt;
    long perUnit = 0;  // minutes
    switch (text.back()) {
      case 'm': perUnit = 1; break;
      case 'h': perUnit = 60; break;
      case 'd': perUnit = 24 * 60; break;
      default: return std::nullopt;
    }
    // Up to a hundred years back: more would overflow the clock.
    constexpr long kMaxMinutes = 36500L * 24 * 60;
    if (n > kMaxMinutes / perUnit) return std::nullopt;
    return now - std::chrono::minutes(n * perUnit);
  }
  tm t{};
  t.tm_isdst = -1;
  std::string copy(text);
  const char* end = nullptr;
  for (const char* f : {"%Y-%m-%d_%H:%M:%S", "%Y-%m-%d_%H:%M", "%Y-%m-%d"}) {
    t = tm{};
    t.tm_isdst = -1;
    end = strptime(copy.c_str(), f, &t);
    if (end && *end == '\0') break;
    end = nullptr;
  }
  // system_clock counts nanoseconds: years far from now would overflow it.
  if (!end || t.tm_year < 70 || t.tm_year > 300) return std::nullopt;
  std::time_t secs = mktime(&t);
  if (secs == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(secs);
}

void Log::removeSink(Sink& sink) { sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), &sink), sinks_.end()); }

void Log::write(std::string_view tag, std::string message, std::optional<int> pid) {
  Entry e{clock_.now(), std::string(tag), pid, std::move(message)};
  for (Sink* s : sinks_) s->write(e);
}

void Log::writeOwn(std::string_view tag, std::string message) {
  static const int pid = static_cast<int>(getpid());
  write(tag, std::move(message), pid);
}

}  // namespace bulwark::log
