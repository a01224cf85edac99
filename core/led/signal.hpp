// The mobile-network LEDs of the TC MGUARD RS4000/RS2000 3G and 4G
// (reference table 12-1): the signal bar graph BAR1 (bottom, yellow), BAR2,
// BAR3 (top, green), and SIM1, SIM2. A pure function of the modem's state:
// ModemSignalChanged, the event a modem module is to publish on the bus
// (11.7's modem state comes from the same module). There is no modem module
// yet, so nothing publishes it in the core: the LEDs stay dark but for the
// tests, which publish it.
//
// Table 12-1 gives the ranges of the signal strength in dBm in the modem's
// steps of 2 dBm (AT+CSQ: 0 = -113, 1 = -111, 2..30 = -109..-53, 31 = -51 or
// more): -113..-111 no bar (very poor to none), -109..-89 BAR1 (sufficient),
// -87..-67 BAR1 and BAR2 (good), -65..-51 all three (very good). Each range
// starts at its lower bound: a reading between two ranges (-110, -88, -66)
// belongs to the lower one; below -113 is none, above -51 very good; an
// unknown strength (CSQ 99, no modem) lights no bar.
//
// SIM1 and SIM2: ON while that card is the active one, blinking while no
// PIN or an incorrect one was entered (the reference's "Blinking": here
// blink 500/500, table 12-2's "constant blinking"), off otherwise.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "led/schedule.hpp"

namespace bulwark::led {

enum class SimState { Absent, Active, PinMissing };

struct ModemSignalChanged {
  std::optional<int> dbm;  // nullopt: not known
  std::array<SimState, 2> sims{SimState::Absent, SimState::Absent};  // SIM1, SIM2
  bool operator==(const ModemSignalChanged&) const = default;
};

// The lower bounds of the ranges of table 12-1 with one, two and three bars.
inline constexpr int kSufficientDbm = -109;
inline constexpr int kGoodDbm = -87;
inline constexpr int kVeryGoodDbm = -65;

// How many bars of the graph are lit (0-3) for a strength.
int signalBars(std::optional<int> dbm);

// The table's words for a strength: "very poor to none", "sufficient", "good", "very good".
std::string_view receptionOf(std::optional<int> dbm);

// The LEDs of table 12-1 and their names on the board.
inline constexpr std::string_view kSignalLeds[] = {"BAR1", "BAR2", "BAR3", "SIM1", "SIM2"};

// The plans of BAR1, BAR2, BAR3, SIM1, SIM2 for `state`.
std::vector<LedPlan> signalPlans(const ModemSignalChanged& state);

}  // namespace bulwark::led
