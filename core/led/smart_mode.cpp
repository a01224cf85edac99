#include "led/smart_mode.hpp"

#include <stdexcept>

namespace bulwark::led {

const SmartFunctionDefinition& smartFunction(SmartFunction function) {
  for (const SmartFunctionDefinition& d : kSmartFunctions) {
    if (d.function == function) return d;
  }
  throw std::logic_error("unknown smart mode function");
}

SmartMode::SmartMode(TimePoint powerUp, bool heldAtPowerUp)
    : state_(heldAtPowerUp ? State::PowerUp : State::Off), held_(heldAtPowerUp), heldSince_(powerUp) {}

void SmartMode::enter(State state, TimePoint t) {
  state_ = state;
  if (state == State::Selecting) {
    selected_ = 0;
    enteredAt_ = t;
    enteringHold_ = held_;
  }
}

std::optional<SmartFunction> SmartMode::advance(TimePoint t) {
  std::optional<TimePoint> due = deadline();
  if (!due || t < *due) return std::nullopt;
  if (state_ == State::PowerUp) {
    // At `t`, not at the deadline: a core that starts after it greets now.
    enter(State::Selecting, t);
    return std::nullopt;
  }
  // Selecting, a press held for kExecute.
  SmartFunction function = selected().function;
  enter(State::Off, t);
  return function;
}

std::optional<SmartFunction> SmartMode::pressed(TimePoint t) {
  std::optional<SmartFunction> done = advance(t);
  if (held_) return done;
  held_ = true;
  heldSince_ = t;
  return done;
}

std::optional<SmartFunction> SmartMode::released(TimePoint t) {
  std::optional<SmartFunction> done = advance(t);
  if (!held_) return done;
  held_ = false;
  switch (state_) {
    case State::PowerUp: enter(State::Off, t); break;
    case State::Selecting:
      if (enteringHold_) {
        enteringHold_ = false;
      } else {
        selected_ = (selected_ + 1) % std::size(kSmartFunctions);
      }
      break;
    case State::Off: break;
  }
  return done;
}

std::optional<TimePoint> SmartMode::deadline() const {
  if (!held_) return std::nullopt;
  switch (state_) {
    case State::PowerUp: return heldSince_ + kEnter;
    case State::Selecting:
      if (enteringHold_) return std::nullopt;
      return heldSince_ + kExecute;
    case State::Off: return std::nullopt;
  }
  return std::nullopt;
}

std::string SmartMode::display() const { return state_ == State::Selecting ? std::string(selected().code) : ""; }

std::vector<LedPlan> SmartMode::modeLeds() const {
  if (state_ != State::Selecting) return {};
  const SmartFunctionDefinition& f = selected();
  Pattern greeting = lasting(blink(kGreetingFlash, kGreetingFlash), 2 * kGreetingFlash * kGreetingFlashes);
  std::vector<LedPlan> plans;
  for (bool lit : {f.act, f.spd, f.fd}) {
    LedPlan& p = plans.emplace_back(LedPlan{std::string(kModeLeds[plans.size()]), {{greeting, enteredAt_}}});
    // Off is a run too: in smart mode the mode LEDs show nothing else.
    p.runs.push_back({lit ? on() : off(), enteredAt_});
  }
  return plans;
}

std::string sevenSegment(const SmartMode* smartMode, const Conditions& conditions) {
  if (smartMode && smartMode->state() == SmartMode::State::Selecting) return smartMode->display();
  if (conditions.holds(Condition::FlashSucceeded)) return "05";
  return "";
}

}  // namespace bulwark::led
