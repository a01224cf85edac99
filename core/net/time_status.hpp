// The state of the system time, as nph-status.cgi (/network/ntp_state,
// /system/time_sync) and the tstamp= letter of chapter 11 report it.
#pragma once

#include <string>

namespace bulwark::net {

struct TimeStatus {
  enum class Ntp { Disabled, NotSynchronised, Synchronised };
  Ntp ntp = Ntp::Disabled;
  bool setByNtp = false;  // the clock was synchronised by NTP at least once since boot
  unsigned rounds = 0;    // successful polls since synchronisation was (re)gained
};

// "disabled", "not_synced" or "synchronized".
inline std::string ntpStateText(const TimeStatus& s) {
  switch (s.ntp) {
    case TimeStatus::Ntp::Disabled: return "disabled";
    case TimeStatus::Ntp::NotSynchronised: return "not_synced";
    case TimeStatus::Ntp::Synchronised: return "synchronized";
  }
  return "disabled";
}

// "ntp" once NTP has set the clock, else "not_synced".
inline std::string timeSyncText(const TimeStatus& s) { return s.setByNtp ? "ntp" : "not_synced"; }

// The letter after tstamp=: a not synchronised, d synchronised with an NTP
// server once, e synchronised frequently (three polls in a row).
inline char tstampLetter(const TimeStatus& s) {
  if (!s.setByNtp) return 'a';
  return s.ntp == TimeStatus::Ntp::Synchronised && s.rounds >= 3 ? 'e' : 'd';
}

}  // namespace bulwark::net
