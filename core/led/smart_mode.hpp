// Smart mode of the FL MGUARD GT/GT (reference 2.16.4.3, table 2-4): the
// mode button selects a function, shown as a code on the two-digit
// 7-segment display and as a binary pattern on the mode LEDs ACT (1), SPD
// (2) and FD (3), and executes it. A pure state machine: button edges and
// the passing of time go in (each with its instant, from a monotonic clock),
// the display, the mode LEDs' plans and the action to execute come out;
// nothing is read from a clock, so a fake clock drives it in tests.
//
//   PowerUp    the button was held when the power came on: held for kEnter
//              (the reference: "more than ten seconds") from then, smart
//              mode starts; released earlier, or not held at all: Off
//   Selecting  the code shows ("51" first: exit without changes); the mode
//              LEDs flash three times together (kGreeting), then show the
//              code's pattern. The hold that entered ends with its release
//              and selects nothing; then each press shorter than kExecute
//              selects the next code (51, 55, 56, 57, 51, ...), on its
//              release; a press held for kExecute exits smart mode and
//              executes the code's function at that instant
//   Off        smart mode has not been entered or has ended: the button
//              does nothing here, the display and mode LEDs are the
//              system's
//
// Where the reference is silent: "flash briefly three times" is 3 x (200 ms
// on, 200 ms off), and the power-up instant is the monotonic clock's zero
// (CLOCK_MONOTONIC counts from boot), so a core that starts a few seconds
// after the power came on still measures the hold from then (and, seeing
// the hold complete at its start, enters smart mode and greets then).
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "led/pattern.hpp"
#include "led/schedule.hpp"
#include "led/states.hpp"

namespace bulwark::led {

// The functions of table 2-4.
enum class SmartFunction { ExitWithoutChanges, Recovery, Flash, ApplyCustomDefaultProfile };

struct SmartFunctionDefinition {
  SmartFunction function;
  std::string_view code;  // on the 7-segment display
  bool act, spd, fd;      // the mode LEDs
  std::string_view description;
};

// Table 2-4, in the order a short press goes through it.
inline constexpr SmartFunctionDefinition kSmartFunctions[] = {
    {SmartFunction::ExitWithoutChanges, "51", false, false, true, "Exit Smart mode without changes"},
    {SmartFunction::Recovery, "55", true, false, true, "Activate the recovery procedure"},
    {SmartFunction::Flash, "56", true, true, false, "Activate the flash procedure"},
    {SmartFunction::ApplyCustomDefaultProfile, "57", true, true, true, "Apply customized default profile"},
};

const SmartFunctionDefinition& smartFunction(SmartFunction function);

// The mode LEDs, in the order of table 2-4's columns.
inline constexpr std::span<const std::string_view> kModeLeds = kGtGtModeLeds;

class SmartMode {
 public:
  enum class State { PowerUp, Selecting, Off };

  static constexpr std::chrono::seconds kEnter{10};
  static constexpr std::chrono::seconds kExecute{5};
  static constexpr Millis kGreetingFlash{200};
  static constexpr int kGreetingFlashes = 3;

  // At power-up (`powerUp`), the button held or not.
  SmartMode(TimePoint powerUp, bool heldAtPowerUp);

  // Time has passed up to `t`: a hold that has lasted long enough counts.
  // The function to execute, when a hold of kExecute ended smart mode.
  std::optional<SmartFunction> advance(TimePoint t);
  // The button went down or up at `t` (advance(t) first).
  std::optional<SmartFunction> pressed(TimePoint t);
  std::optional<SmartFunction> released(TimePoint t);

  // When advance() next has something to do; nullopt: only a button edge
  // changes anything.
  std::optional<TimePoint> deadline() const;

  State state() const { return state_; }
  // The function selected (Selecting).
  const SmartFunctionDefinition& selected() const { return kSmartFunctions[selected_]; }
  // What the display shows: the selected code while Selecting, else "".
  std::string display() const;
  // The plans of ACT, SPD and FD while Selecting; empty otherwise.
  std::vector<LedPlan> modeLeds() const;

 private:
  void enter(State state, TimePoint t);

  State state_;
  std::size_t selected_ = 0;
  bool held_;                       // the button is down
  TimePoint heldSince_;             // since when it is down
  bool enteringHold_ = false;       // the press that entered smart mode has not been released yet
  TimePoint enteredAt_{};
};

// What the two-digit 7-segment display of a GT/GT shows: smart mode's code
// while it selects, "05" while the flash procedure has succeeded (2.16.4.2:
// "05 is shown in the display, and the LEDs flash green simultaneously"),
// else "" (dark). The reference gives no other code.
std::string sevenSegment(const SmartMode* smartMode, const Conditions& conditions);

}  // namespace bulwark::led
