// The LED module: drives the board's LEDs (platform/led.hpp) from the
// system states of reference table 12-3 (led/states.hpp), with one
// steady_timer set to the next instant any LED changes (led/schedule.hpp).
// It only listens (ARCHITECTURE.md): the conditions come from the bus and
// from what the core's other modules expose, never from asking them how they
// are doing:
//   SystemStateChanged  Booting asserts "booting" (STAT, ERR, FAULT on for
//                       12 s, MOD for 3 s), Running asserts "ok" (heartbeat)
//   ConfigApplied       PASSWORD_CHECK while admin or root has its factory
//                       password (and at start)
//   LinkChanged         "link-down" per supervised port (FAULT); until the
//                       configuration says which ports are supervised (issue
//                       7), every port of the board is, from its state at start
// Every FAULT alarm raised or cleared is logged (tag "led"). A blink of two
// steps (blink 50/1500, 500/500, ...) is handed to the backend where it can
// (the kernel's timer trigger); the timer then leaves that LED alone.
// Each LED of the board plays the role its board file gives it (STAT,
// MOD, ...); an LED whose backend cannot be opened is simulated instead, so
// that `bulwark ctl leds` still shows what it would show.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "board.hpp"
#include "init/system_state.hpp"
#include "led.hpp"
#include "led/states.hpp"
#include "log/log.hpp"
#include "net/link_monitor.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::led {

class LedModule final : public runtime::Module {
 public:
  // What the module reads of the others when the bus says something changed.
  struct Sources {
    std::function<bool()> factoryPasswordsInUse;
    // The carrier last seen on a kernel interface (nullopt: not known).
    std::function<std::optional<bool>(const std::string& interface)> carrier;
  };

  LedModule(boost::asio::io_context& io, runtime::EventBus& bus, log::Log& log, const platform::Board& board,
            Sources sources, platform::DevicePaths paths = {});
  ~LedModule() override;

  std::string_view name() const override { return "led"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot&, const config::Diff&) override { return {}; }
  // Cancels the timer and darkens the LEDs.
  void stop() override;

  // Asserts or clears a condition as of now and shows the result.
  void setCondition(const ConditionId& id, bool holds);
  const Conditions& conditions() const { return conditions_; }

  // What each LED of the board shows now, in the board's order.
  std::vector<LedState> leds() const;
  // The answer to the control request {"ctl": "leds"}: {"ok": true, "leds": [{"name", "pattern", "on"}]}.
  std::string handleCtlRequest() const;
  // The simulated LEDs (of the sim board, or standing in for an LED that could not be opened).
  platform::SimulatedLeds& simulated() { return simulated_; }

 private:
  void onSystemState(const init::SystemStateChanged& event);
  void onConfigApplied(const runtime::ConfigApplied& event);
  void onLinkChanged(const net::LinkChanged& event);
  void checkPasswords();
  // The subject of a link alarm: the port's name on the housing (XF1, WAN);
  // "" for an interface that is no port of the board.
  std::string portOf(const std::string& interface) const;
  // Shows the conditions on the LEDs as of now and sets the timer.
  void refresh();

  struct Impl;  // the timer and the LED devices
  std::unique_ptr<Impl> impl_;
  runtime::EventBus& bus_;
  log::Log& log_;
  const platform::Board& board_;
  Sources sources_;
  platform::DevicePaths paths_;
  platform::SimulatedLeds simulated_;
  Conditions conditions_;
  std::vector<LedDefinition> definitions_;
  bool started_ = false;
};

}  // namespace bulwark::led
