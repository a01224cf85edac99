// The system states of reference table 12-3 as conditions that are asserted
// and cleared, and the LED plans they make: which pattern each LED of a set
// shows, as a pure function of the asserted conditions and when each was
// asserted. The table's columns are roles (STAT, MOD, Info2, ERR, FAULT); an
// LED set names the LEDs of a board and the role each plays.
//
// Several conditions at once. The reference shows "a combination of
// different system states": each condition lights its own LEDs, and where
// two want the same LED the more important one shows, in this order (most
// important first, see Tier):
//
//   1. the flash procedure: failures, the warning while the rescue system is
//      replaced, success, progress, start. While any of these holds, no other
//      condition shows at all (flashing runs instead of the system).
//   2. bootloader replacement failed
//   3. booting (over everything the running system says, for its 12 s)
//   4. notices: recovery results and ECS errors (2 and 3 s), so that they
//      are seen over a steady state
//   5. licence missing
//   6. severe error
//   7. FAULT alarms (link supervision per interface, power, temperature,
//      connectivity checks, PASSWORD_CHECK)
//   8. modem states
//   9. system OK
//
// Ties (two FAULT alarms, two ECS errors) go to table order, then to the
// subject. A pattern that lasts n seconds claims its LED only for those n
// seconds from the assertion, then the next condition in the order shows
// (booting's STAT ON (12 s) gives way to the heartbeat). Conditions are
// levels, not edges: asserting one that holds changes nothing; a notice is
// shown again by clearing and asserting it. The flash procedure, the modem
// and the recovery result are each one state at a time: entering one of
// their states leaves the others of the same group.
//
// Boards. An LED set (LedSet) says which LED shows which column; one LED may
// show two columns where the board has no LED for one of them (FAIL of
// platform 3 shows ERR and FAULT), and then the order above decides between
// their claims as between any two (a flash failure's ERR ON over booting's
// FAULT ON (12 s), an ECS error's ON (3 s) over an alarm's ON, which shows
// again after the 3 s). A set may show a condition otherwise than by its
// columns (a deviation: the flash procedure's start on PF1-PF5); the
// condition keeps its place in the order.
#pragma once

#include <compare>
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "led/pattern.hpp"
#include "led/schedule.hpp"

namespace bulwark::led {

// The columns of table 12-3.
enum class Role { Stat, Mod, Info2, Err, Fault };

// The rows of table 12-3, in its order, and PASSWORD_CHECK (reference 3.6.2,
// table 3-8, firmware 10.3.0: "passwords not configured" triggers the alarm
// output and the FAULT LED).
enum class Condition {
  Ok,                           // STAT heartbeat
  SevereError,                  // ERR ON
  Booting,                      // STAT, ERR, FAULT ON (12 s); MOD ON (3 s)
  LicenceMissing,               // STAT Morse
  BootloaderReplacementFailed,  // STAT, ERR Morse
  PowerFailure,                 // FAULT ON
  LinkDown,                     // FAULT ON; the subject is the supervised interface: WAN, LAN, LAN1..LAN4, DMZ
  PowerSupplyFailed,            // FAULT ON; subject "1" or "2"
  Temperature,                  // FAULT ON: too high or too low
  RedundancyCheckFailed,        // FAULT ON
  ModemCheckFailed,             // FAULT ON
  PasswordCheck,                // FAULT ON: admin or root still has its factory password
  EcsIncompatible,              // ERR ON (3 s)
  EcsFull,                      // ERR ON (3 s)
  EcsRootPasswordMismatch,      // ERR ON (3 s)
  EcsLoadFailed,                // ERR ON (3 s)
  EcsSaveFailed,                // ERR ON (3 s)
  ModemConnected,               // MOD ON
  ModemArmed,                   // MOD blink 50/1500
  ModemDialing,                 // MOD blink 500/500
  RecoveryFailed,               // ERR ON (2 s)
  RecoverySucceeded,            // STAT ON (2 s)
  FlashStarted,                 // STAT, FAULT ON
  FlashRunning,                 // STAT, MOD, Info2 running light; FAULT ON
  FlashSucceeded,               // STAT, MOD, Info2 blink 50/800; FAULT ON
  FlashProductionFailed,        // STAT, ERR ON
  FlashReplacingRescue,         // ERR blink 50/100 (5 s)
  FlashDhcpFailed,              // ERR ON, as are the rows below
  FlashMountFailed,
  FlashFailed,
  FlashEraseFailed,
  FlashImageLoadFailed,
  FlashImageSignatureInvalid,
  FlashScriptLoadFailed,
  FlashScriptSignatureInvalid,
  FlashRolloutFailed,
};
inline constexpr std::size_t kConditionCount = static_cast<std::size_t>(Condition::FlashRolloutFailed) + 1;

// The priority order of the header comment, most important first.
enum class Tier {
  FlashFailure,
  FlashWarning,
  FlashSuccess,
  FlashProgress,
  FlashStart,
  BootloaderFailure,
  Booting,
  Notice,
  LicenceMissing,
  SevereError,
  Alarm,
  Modem,
  Ok,
};

// States of which only one holds at a time.
enum class Group { None, FlashProcedure, Modem, Recovery };

struct Claim {
  Role role;
  Pattern pattern;
};

struct StateDefinition {
  std::string_view name;         // "link-down": for logs and the command line
  std::string_view description;  // the reference's words
  Tier tier;
  Group group;
  std::vector<Claim> claims;
};

StateDefinition definition(Condition condition);

// A condition and what it is about: the interface of a link supervision,
// the power supply that failed; empty for most.
struct ConditionId {
  // Implicit, so that a condition without a subject is its own id.
  ConditionId(Condition c, std::string s = {}) : condition(c), subject(std::move(s)) {}
  Condition condition;
  std::string subject;
  auto operator<=>(const ConditionId&) const = default;
};

class Conditions {
 public:
  // Asserts `id` as of `now`; false (and nothing changes) when it holds already.
  bool set(const ConditionId& id, TimePoint now);
  // False when it did not hold.
  bool clear(const ConditionId& id);
  bool holds(const ConditionId& id) const { return asserted_.contains(id); }
  // Each asserted condition and when it was asserted.
  const std::map<ConditionId, TimePoint>& asserted() const { return asserted_; }

 private:
  std::map<ConditionId, TimePoint> asserted_;
};

// An LED of a board and the role it plays in table 12-3; nullopt: none
// (power supply LEDs, Info1, which other rules drive).
struct LedDefinition {
  std::string_view name;
  std::optional<Role> role;
  // A second column the LED shows, where its set has no LED for that one.
  std::optional<Role> alsoShows = std::nullopt;
};

// The blink of the flash procedure's success in table 12-3: blink 50/800.
Pattern flashSuccessBlink();

// A condition an LED set shows otherwise than by the columns: while it
// shows, the LEDs `lit` show `pattern` (in its tier) instead of its claims.
struct Deviation {
  Condition condition;
  std::span<const std::string_view> lit;
  Pattern (*pattern)() = on;
};

// The LEDs of a kind of board and how table 12-3 shows on them; a board
// file names its set ("led_set").
struct LedSet {
  std::string_view name;
  std::span<const LedDefinition> leds;
  std::span<const Deviation> deviations;
};

// FL MGUARD RS4000 (12.1): P1 and P2 show the power supplies, Info1 and
// Info2 bound VPN connections or firewall rule records; the LED labelled Sig
// on older housings is Info2.
inline constexpr LedDefinition kRs4000Leds[] = {
    {"P1", std::nullopt},   {"P2", std::nullopt}, {"STAT", Role::Stat},   {"MOD", Role::Mod},
    {"INFO2", Role::Info2}, {"ERR", Role::Err},   {"FAULT", Role::Fault}, {"INFO1", std::nullopt},
};
inline constexpr LedSet kRs4000{"rs4000", kRs4000Leds, {}};

// Platform 3 (FL MGUARD 2102/4302/2105/3405/4305, 2.18.3.2): PF1 shows the
// heartbeat when the device is ready, PF1-PF3 the running light and then
// the blink of the flash procedure, the red FAIL the FAULT column (and the
// alarms of 3.6.2: "the corresponding FAIL LED"). 2.18.3.2 has the flash
// procedure start with "PF1-5 light up green", and FAIL lit only from the
// running light on: that is the set's deviation. The reference names no LED
// for the ERR column: FAIL, the only red one, shows it too (an assumption,
// to be checked on a device), so that a severe error or a failed flash
// procedure is not dark. PF4 and PF5 show nothing else here.
inline constexpr LedDefinition kPlatform3Leds[] = {
    {"PF1", Role::Stat},  {"PF2", Role::Mod},  {"PF3", Role::Info2},
    {"PF4", std::nullopt}, {"PF5", std::nullopt}, {"FAIL", Role::Fault, Role::Err},
};
inline constexpr std::string_view kPlatform3FlashStartLit[] = {"PF1", "PF2", "PF3", "PF4", "PF5"};
inline constexpr Deviation kPlatform3Deviations[] = {{Condition::FlashStarted, kPlatform3FlashStartLit}};
inline constexpr LedSet kPlatform3{"platform-3", kPlatform3Leds, kPlatform3Deviations};

// FL MGUARD GT/GT (2.16.4): its mode LEDs ACT, SPD and FD show smart mode
// (smart_mode.hpp) and none of table 12-3's columns; of its states the
// reference gives one: when the flash procedure has succeeded, "05" is on
// the display (smart_mode.hpp) "and the LEDs flash green simultaneously"
// (2.16.4.2), as STAT, MOD and Info2 do on the RS4000.
inline constexpr LedDefinition kGtGtLeds[] = {{"ACT", std::nullopt}, {"SPD", std::nullopt}, {"FD", std::nullopt}};
inline constexpr std::string_view kGtGtModeLeds[] = {"ACT", "SPD", "FD"};
inline constexpr Deviation kGtGtDeviations[] = {{Condition::FlashSucceeded, kGtGtModeLeds, flashSuccessBlink}};
inline constexpr LedSet kGtGt{"gtgt", kGtGtLeds, kGtGtDeviations};

// The LED sets a board file may name.
inline constexpr LedSet kLedSets[] = {kRs4000, kPlatform3, kGtGt};

// The set named `name`; null when there is none.
const LedSet* findLedSet(std::string_view name);

// The runs each LED of `leds` gets from the asserted conditions, in the
// order of `leds`.
std::vector<LedPlan> plan(const Conditions& conditions, std::span<const LedDefinition> leds,
                          std::span<const Deviation> deviations = {});

// frameAt(plan(conditions, leds), t).
Frame display(const Conditions& conditions, std::span<const LedDefinition> leds, TimePoint t);
// The same for a set's LEDs and deviations.
Frame display(const Conditions& conditions, const LedSet& set, TimePoint t);

}  // namespace bulwark::led
