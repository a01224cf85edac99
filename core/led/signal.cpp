#include "led/signal.hpp"

#include <string>

namespace bulwark::led {

int signalBars(std::optional<int> dbm) {
  if (!dbm) return 0;
  if (*dbm >= kVeryGoodDbm) return 3;
  if (*dbm >= kGoodDbm) return 2;
  if (*dbm >= kSufficientDbm) return 1;
  return 0;
}

std::string_view receptionOf(std::optional<int> dbm) {
  static constexpr std::string_view kWords[] = {"very poor to none", "sufficient", "good", "very good"};
  return kWords[signalBars(dbm)];
}

std::vector<LedPlan> signalPlans(const ModemSignalChanged& state) {
  using namespace std::chrono_literals;
  std::vector<LedPlan> plans;
  int bars = signalBars(state.dbm);
  for (int i = 0; i < 3; ++i) {
    LedPlan& p = plans.emplace_back(LedPlan{std::string(kSignalLeds[i]), {}});
    if (i < bars) p.runs.push_back({on(), TimePoint{}});
  }
  for (std::size_t i = 0; i < state.sims.size(); ++i) {
    LedPlan& p = plans.emplace_back(LedPlan{std::string(kSignalLeds[3 + i]), {}});
    // Started at the clock's epoch, so that a new plan does not restart the blink.
    if (state.sims[i] == SimState::Active) p.runs.push_back({on(), TimePoint{}});
    if (state.sims[i] == SimState::PinMissing) p.runs.push_back({blink(500ms, 500ms), TimePoint{}});
  }
  return plans;
}

}  // namespace bulwark::led
