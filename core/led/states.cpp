#include "led/states.hpp"

#include <algorithm>
#include <stdexcept>

namespace bulwark::led {

namespace {

using namespace std::chrono_literals;

StateDefinition row(std::string_view name, std::string_view description, Tier tier, Group group,
                    std::vector<Claim> claims) {
  return {name, description, tier, group, std::move(claims)};
}

StateDefinition alarm(std::string_view name, std::string_view description) {
  return row(name, description, Tier::Alarm, Group::None, {{Role::Fault, on()}});
}

StateDefinition ecsError(std::string_view name, std::string_view description) {
  return row(name, description, Tier::Notice, Group::None, {{Role::Err, lasting(on(), 3s)}});
}

StateDefinition flashFailure(std::string_view name, std::string_view description) {
  return row(name, description, Tier::FlashFailure, Group::FlashProcedure, {{Role::Err, on()}});
}

// The same pattern on STAT, MOD and Info2 (the running light one LED each), FAULT ON.
std::vector<Claim> flashTrio(Pattern (*pattern)(unsigned position)) {
  return {{Role::Stat, pattern(0)}, {Role::Mod, pattern(1)}, {Role::Info2, pattern(2)}, {Role::Fault, on()}};
}

Pattern blink50of800(unsigned) { return flashSuccessBlink(); }

bool exclusive(Tier tier) { return tier <= Tier::FlashStart; }

}  // namespace

Pattern flashSuccessBlink() { return blink(50ms, 800ms); }

StateDefinition definition(Condition condition) {
  using C = Condition;
  switch (condition) {
    case C::Ok:
      return row("ok", "The system status is OK.", Tier::Ok, Group::None, {{Role::Stat, heartbeat()}});
    case C::SevereError:
      return row("severe-error", "A severe error has happened.", Tier::SevereError, Group::None, {{Role::Err, on()}});
    case C::Booting:
      return row("booting", "The system is booting.", Tier::Booting, Group::None,
                 {{Role::Stat, lasting(on(), 12s)},
                  {Role::Mod, lasting(on(), 3s)},
                  {Role::Err, lasting(on(), 12s)},
                  {Role::Fault, lasting(on(), 12s)}});
    case C::LicenceMissing:
      return row("licence-missing", "The license to operate this firmware is missing.", Tier::LicenceMissing,
                 Group::None, {{Role::Stat, sos()}});
    case C::BootloaderReplacementFailed:
      return row("bootloader-replacement-failed", "Bootloader replacement failed due to hardware error.",
                 Tier::BootloaderFailure, Group::None, {{Role::Stat, sos()}, {Role::Err, sos()}});
    case C::PowerFailure:
      return alarm("power-failure", "A power failure was detected.");
    case C::LinkDown:
      return alarm("link-down", "No connectivity on the interface (link supervision).");
    case C::PowerSupplyFailed:
      return alarm("power-supply-failed", "Power supply 1 or 2 failed.");
    case C::Temperature:
      return alarm("temperature", "Temperature too high / low.");
    case C::RedundancyCheckFailed:
      return alarm("redundancy-check-failed", "(Redundancy) Connectivity check failed.");
    case C::ModemCheckFailed:
      return alarm("modem-check-failed", "(Modem) Connectivity check failed.");
    case C::PasswordCheck:
      return alarm("password-check", "Passwords not configured (admin or root has its factory password).");
    case C::EcsIncompatible:
      return ecsError("ecs-incompatible", "ECS: The ECS is incompatible.");
    case C::EcsFull:
      return ecsError("ecs-full", "ECS: The capacity of the ECS is exhausted.");
    case C::EcsRootPasswordMismatch:
      return ecsError("ecs-root-password-mismatch", "ECS: The root password from the ECS does not match.");
    case C::EcsLoadFailed:
      return ecsError("ecs-load-failed", "ECS: Failed to load the configuration from the ECS.");
    case C::EcsSaveFailed:
      return ecsError("ecs-save-failed", "ECS: Failed to save the configuration to the ECS.");
    case C::ModemConnected:
      return row("modem-connected", "PPPD: The internal modem got a connect (set by pppd).", Tier::Modem, Group::Modem,
                 {{Role::Mod, on()}});
    case C::ModemArmed:
      return row("modem-armed", "PPPD: The internal modem is armed and expecting a dial in.", Tier::Modem, Group::Modem,
                 {{Role::Mod, blink(50ms, 1500ms)}});
    case C::ModemDialing:
      return row("modem-dialing", "PPPD: The internal modem is dialing.", Tier::Modem, Group::Modem,
                 {{Role::Mod, blink(500ms, 500ms)}});
    case C::RecoveryFailed:
      return row("recovery-failed", "RECOVERY: The recovery procedure failed.", Tier::Notice, Group::Recovery,
                 {{Role::Err, lasting(on(), 2s)}});
    case C::RecoverySucceeded:
      return row("recovery-succeeded", "RECOVERY: The recovery procedure succeeded.", Tier::Notice, Group::Recovery,
                 {{Role::Stat, lasting(on(), 2s)}});
    case C::FlashStarted:
      return row("flash-started", "FLASH PROCEDURE: The flash procedure has been started. Please wait.",
                 Tier::FlashStart, Group::FlashProcedure, {{Role::Stat, on()}, {Role::Fault, on()}});
    case C::FlashRunning:
      return row("flash-running", "FLASH PROCEDURE: The flash procedure is currently executed.", Tier::FlashProgress,
                 Group::FlashProcedure, flashTrio(runningLight));
    case C::FlashSucceeded:
      return row("flash-succeeded", "FLASH PROCEDURE: The flash procedure succeeded.", Tier::FlashSuccess,
                 Group::FlashProcedure, flashTrio(blink50of800));
    case C::FlashProductionFailed:
      return row("flash-production-failed", "FLASH PROCEDURE: The flash/production procedure failed.",
                 Tier::FlashFailure, Group::FlashProcedure, {{Role::Stat, on()}, {Role::Err, on()}});
    case C::FlashReplacingRescue:
      return row("flash-replacing-rescue",
                 "FLASH PROCEDURE WARNING: Replacing the rescue system. Do not power off. When the blinking stops, "
                 "the replacement of the rescue system is over.",
                 Tier::FlashWarning, Group::None, {{Role::Err, lasting(blink(50ms, 100ms), 5s)}});
    case C::FlashDhcpFailed:
      return flashFailure("flash-dhcp-failed", "FLASH PROCEDURE: The DHCP/BOOTP requests failed.");
    case C::FlashMountFailed:
      return flashFailure("flash-mount-failed", "FLASH PROCEDURE: Mounting the data storage device failed.");
    case C::FlashFailed:
      return flashFailure("flash-failed", "FLASH PROCEDURE: The flash procedure failed.");
    case C::FlashEraseFailed:
      return flashFailure("flash-erase-failed", "FLASH PROCEDURE: Erasing the file system partition failed.");
    case C::FlashImageLoadFailed:
      return flashFailure("flash-image-load-failed", "FLASH PROCEDURE: Failed to load the firmware image.");
    case C::FlashImageSignatureInvalid:
      return flashFailure("flash-image-signature-invalid",
                          "FLASH PROCEDURE: The signature of the firmware image is not valid.");
    case C::FlashScriptLoadFailed:
      return flashFailure("flash-script-load-failed", "FLASH PROCEDURE: Failed to load the install script.");
    case C::FlashScriptSignatureInvalid:
      return flashFailure("flash-script-signature-invalid",
                          "FLASH PROCEDURE: The signature of the install script is not valid.");
    case C::FlashRolloutFailed:
      return flashFailure("flash-rollout-failed", "FLASH PROCEDURE: The rollout script failed.");
  }
  throw std::logic_error("unknown LED condition");
}

bool Conditions::set(const ConditionId& id, TimePoint now) {
  if (holds(id)) return false;
  Group group = definition(id.condition).group;
  if (group != Group::None) {
    std::erase_if(asserted_, [group](const auto& entry) { return definition(entry.first.condition).group == group; });
  }
  asserted_.emplace(id, now);
  return true;
}

bool Conditions::clear(const ConditionId& id) { return asserted_.erase(id) > 0; }

const LedSet* findLedSet(std::string_view name) {
  for (const LedSet& set : kLedSets) {
    if (set.name == name) return &set;
  }
  return nullptr;
}

namespace {

bool shows(const LedDefinition& led, Role role) { return led.role == role || led.alsoShows == role; }

const Deviation* deviationOf(std::span<const Deviation> deviations, Condition condition) {
  for (const Deviation& d : deviations) {
    if (d.condition == condition) return &d;
  }
  return nullptr;
}

}  // namespace

std::vector<LedPlan> plan(const Conditions& conditions, std::span<const LedDefinition> leds,
                          std::span<const Deviation> deviations) {
  struct Active {
    StateDefinition definition;
    TimePoint since;
    const Deviation* deviation;
  };
  std::vector<Active> active;
  for (const auto& [id, since] : conditions.asserted()) {
    active.push_back({definition(id.condition), since, deviationOf(deviations, id.condition)});
  }
  // asserted() is in table order, then by subject: a stable sort keeps that among equals.
  std::stable_sort(active.begin(), active.end(),
                   [](const Active& a, const Active& b) { return a.definition.tier < b.definition.tier; });
  if (!active.empty() && exclusive(active.front().definition.tier)) {
    std::erase_if(active, [](const Active& a) { return !exclusive(a.definition.tier); });
  }

  std::vector<LedPlan> plans;
  for (const LedDefinition& led : leds) {
    LedPlan& p = plans.emplace_back(LedPlan{std::string(led.name), {}});
    for (const Active& a : active) {
      if (a.deviation) {
        if (std::ranges::find(a.deviation->lit, led.name) != a.deviation->lit.end()) {
          p.runs.push_back({a.deviation->pattern(), a.since});
        }
        continue;
      }
      for (const Claim& claim : a.definition.claims) {
        if (shows(led, claim.role)) p.runs.push_back({claim.pattern, a.since});
      }
    }
  }
  return plans;
}

Frame display(const Conditions& conditions, std::span<const LedDefinition> leds, TimePoint t) {
  return frameAt(plan(conditions, leds), t);
}

Frame display(const Conditions& conditions, const LedSet& set, TimePoint t) {
  return frameAt(plan(conditions, set.leds, set.deviations), t);
}

}  // namespace bulwark::led
