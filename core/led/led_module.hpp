// The LED module: drives the board's LEDs (platform/led.hpp) from the
// system states of reference table 12-3 (led/states.hpp), with one
// steady_timer set to the next instant any LED changes (led/schedule.hpp).
// It only listens (ARCHITECTURE.md): the conditions come from the bus and
// from what the core's other modules expose, never from asking them how they
// are doing:
//   SystemStateChanged  Booting asserts "booting" (STAT, ERR, FAULT on for
//                       12 s, MOD for 3 s), Running asserts "ok" (heartbeat)
//   ConfigApplied       PASSWORD_CHECK while admin or root has its factory
//                       password (and at start), unless PASSWORD_CHECK is
//                       "ignore"
//   LinkChanged         "link-down" per port LINK_SUPERVISION names (FAULT),
//                       from its carrier at start, then from the events
//   RuleRecordChanged   the firewall rule records' states, for the LEDs bound
//                       to one (INFO1_FW_RULESET_REF, INFO2_FW_RULESET_REF):
//                       Info1 (the LED named INFO1) and Info2 (the LED of the
//                       info2 column) are on while their record is active
//                       (12.1), below every state of table 12-3; so are the
//                       outputs ACK1 and ACK2 (ACK1/ACK2_FW_RULESET_REF)
//   VpnStateChanged     the IPsec connections' states, for the LEDs and
//                       outputs bound to one instead (INFO1_VPN_REF, ...):
//                       on while established ("active"), blinking 500/500
//                       while being established ("ready": activated or
//                       enabled, not up yet, or stopped by the peer), off
//                       while not activated ("void")
// Every FAULT alarm raised or cleared is logged (tag "led"); the alarm
// output (O3, FAULT on mGuard 8) is on while any FAULT alarm holds, which are
// those the configuration supervises (PASSWORD_CHECK; LINK_SUPERVISION names
// the ports whose lost link is an alarm: none by default, a port the board
// does not have is refused).
//
// Service I/O (table 3-5, platform/io.hpp). The service contacts CMD1-CMD3
// start and stop the rule record CMDn_FW_RULESET_REF binds through
// Sources::setRuleRecord, the service call of nph-action.cgi
// fwrules/active|inactive, or the VPN connection CMDn_VPN_REF binds through
// Sources::setVpn, that of nph-vpn.cgi up|down (a connection only these
// start: ENABLED no, reference 11.3); a binding names one or the other. A
// push button (CMDn_MODE) switches it over on
// each press, a switch on when switched on and off when switched off. A
// contact is read once its level has held for kDebounce, and acts on changes
// only: at start, and when a binding changes, the record keeps its state.
//
// Smart mode (led/smart_mode.hpp), on a board whose file says so (the
// GT/GT): the mode button is read as the contacts are; held from power-up,
// it enters smart mode, whose code shows on the 7-segment display (on the
// GT/GT also "05" once the flash procedure succeeded) and whose pattern
// shows on the mode LEDs over their own. The selected function is executed
// through Sources::smartFunction; where no service does it yet (recovery,
// the flash procedure, the customized default profile are not built), it is
// logged as not available.
//
// The bar graph and SIM LEDs (led/signal.hpp) of a board with a modem show
// ModemSignalChanged; no modem module publishes it yet.
//
// A blink of two steps (blink 50/1500, 500/500, ...) is handed to the
// backend where it can (the kernel's timer trigger); the timer then leaves
// that LED alone. Each LED of the board plays the role its board file's LED
// set gives it (STAT, MOD, ...; led/states.hpp); an LED, input, output or
// display whose backend cannot be opened is simulated instead, so that
// `bulwark ctl leds` still shows what it would show and `bulwark ctl input`
// can set it.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "board.hpp"
#include "firewall/rule_record_event.hpp"
#include "vpn/ipsec/ipsec_service.hpp"
#include "init/system_state.hpp"
#include "display.hpp"
#include "io.hpp"
#include "led.hpp"
#include "led/signal.hpp"
#include "led/smart_mode.hpp"
#include "led/states.hpp"
#include "log/log.hpp"
#include "net/link_monitor.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module.hpp"

namespace boost::asio {
class io_context;
}
namespace boost::system {
class error_code;
}

namespace bulwark::led {

// Published when the pattern an LED or an output shows, or the display's
// text, changes (not at each step of a blink): what each shows now, in the board's order. The WBM's
// /api/v1/leds stream follows it.
struct LedsChanged {
  std::vector<LedState> leds;
  std::vector<LedState> outputs;
  std::optional<std::string> display;  // the 7-segment display's text ("" dark); none without one
};

class LedModule final : public runtime::Module {
 public:
  // What the module reads of the others when the bus says something changed.
  struct Sources {
    std::function<bool()> factoryPasswordsInUse;
    // The carrier last seen on a kernel interface (nullopt: not known).
    std::function<std::optional<bool>(const std::string& interface)> carrier;
    // Switches the rule record with row id `rowid` (FirewallModule::setRecord);
    // the error says why nothing changed. None: the contacts switch nothing.
    std::function<Status(const std::string& rowid, bool active)> setRuleRecord;
    // Activates or deactivates the VPN connection with row id `rowid`
    // (IpsecService::activate|deactivate). None: the contacts start none.
    std::function<Status(const std::string& rowid, bool active)> setVpn;
    // Executes a function smart mode selected (ExitWithoutChanges needs
    // none). None, or an error: logged, nothing done.
    std::function<Status(SmartFunction)> smartFunction;
  };
  // How long a contact's level must hold before it counts (a bouncing
  // contact changes many times within a few milliseconds).
  static constexpr std::chrono::milliseconds kDebounce{20};

  LedModule(boost::asio::io_context& io, runtime::EventBus& bus, log::Log& log, const platform::Board& board,
            Sources sources, platform::DevicePaths paths = {});
  ~LedModule() override;

  std::string_view name() const override { return "led"; }
  Status start(const config::Snapshot& snapshot) override;
  // Takes the service contacts' bindings; refuses one bound to both a rule
  // record and a VPN connection.
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  // Cancels the timer and darkens the LEDs and the display.
  void stop() override;

  // Asserts or clears a condition as of now and shows the result.
  void setCondition(const ConditionId& id, bool holds);
  const Conditions& conditions() const { return conditions_; }

  // What each LED of the board shows now, in the board's order.
  std::vector<LedState> leds() const;
  // What each output of the board shows now, in the board's order.
  std::vector<LedState> outputs() const;
  // What the 7-segment display shows now ("" dark; nullopt: the board has none).
  std::optional<std::string> display() const;
  // The answer to the control request {"ctl": "leds"}: {"ok": true, "leds":
  // [{"name", "pattern", "on"}], "outputs": [the same], "inputs": [{"name", "closed"}]},
  // and "display": its text where the board has one.
  std::string handleCtlRequest() const;
  // The answer to {"ctl": "input", "name": "CMD1", "closed": true}: sets a
  // simulated input; {"ok": true} or {"ok": false, "error": why}.
  std::string handleInputRequest(const std::string& request);
  // The simulated LEDs (of the sim board, or standing in for an LED that could not be opened).
  platform::SimulatedLeds& simulated() { return simulated_; }
  // The same for outputs and inputs.
  platform::SimulatedLeds& simulatedOutputs() { return simulatedOutputs_; }
  platform::SimulatedInputs& simulatedInputs() { return simulatedInputs_; }
  platform::SimulatedDisplay& simulatedDisplay() { return simulatedDisplay_; }
  // Smart mode, on a board that has it (after start).
  const SmartMode* smartMode() const { return smartMode_ ? &*smartMode_ : nullptr; }

 private:
  void onSystemState(const init::SystemStateChanged& event);
  void onConfigApplied(const runtime::ConfigApplied& event);
  void onLinkChanged(const net::LinkChanged& event);
  void onRuleRecord(const firewall::RuleRecordChanged& event);
  void onVpnState(const ipsec::VpnStateChanged& event);
  void onModemSignal(const ModemSignalChanged& event);
  // The mode button's level changed to `closed` (smart mode).
  void onModeButton(bool closed);
  // Executes what smart mode selected, when it did.
  void execute(std::optional<SmartFunction> function);
  void openDevices();
  void watchInput(std::size_t index);
  void onInputEvent(std::size_t index, const boost::system::error_code& ec);
  void onInputSettled(std::size_t index, const boost::system::error_code& ec);
  // A service contact's level changed to `closed`.
  void onContact(const std::string& name, bool closed);
  void checkPasswords();
  // Reads the bindings of the service contacts' variables (none without a
  // configuration).
  Status configure(const config::Snapshot& snapshot);
  // What a signal bound to the rule record `rowid` shows as of `now`:
  // nothing when it is unbound or its record is inactive.
  // What an LED, an output or a contact is bound to.
  struct Binding {
    std::string record;  // a rule record's row id; "" = none
    std::string vpn;     // a VPN connection's row id; "" = none
  };
  std::optional<Run> signalRun(const Binding& binding, TimePoint now) const;
  // The plans of the board's LEDs as of `now` (table 12-3, then the
  // bindings), then those of its outputs.
  std::vector<LedPlan> plansAt(TimePoint now) const;
  // The subject of a link alarm: the port's name on the housing (XF1, WAN);
  // "" for an interface that is no port of the board.
  std::string portOf(const std::string& interface) const;
  // The board's port called `name` on the housing, in either generation; null: none.
  const platform::Port* portNamed(const std::string& name) const;
  // Asserts the link alarm of each supervised port whose link is known to be
  // down, and clears every other.
  void superviseLinks();
  // Shows the conditions on the LEDs as of now and sets the timer.
  void refresh();
  // Publishes LedsChanged when a pattern of `frame` differs from the last published.
  void publishPatterns(const Frame& frame);

  struct Impl;  // the timer and the LED devices
  std::unique_ptr<Impl> impl_;
  runtime::EventBus& bus_;
  log::Log& log_;
  const platform::Board& board_;
  Sources sources_;
  platform::DevicePaths paths_;
  platform::SimulatedLeds simulated_;
  platform::SimulatedLeds simulatedOutputs_;
  platform::SimulatedInputs simulatedInputs_;
  platform::SimulatedDisplay simulatedDisplay_;
  std::optional<SmartMode> smartMode_;
  ModemSignalChanged modem_;
  Conditions conditions_;
  std::vector<LedDefinition> definitions_;
  std::span<const Deviation> deviations_;  // of the board's LED set
  // What each LED, then each output, shows, in the board's order.
  std::vector<Binding> bound_;
  struct Command {
    bool pushButton = true;
    Binding target;
  };
  std::map<std::string, Command> commands_;  // by input name: CMD1...
  bool passwordCheck_ = true;
  std::set<std::string> supervised_;  // LINK_SUPERVISION: the ports' names (board's `name`)
  std::map<std::string, bool> links_;  // each port's link as last seen (up), by the port's name
  std::map<std::string, bool> records_;  // each rule record's state, as last published
  std::map<std::string, ipsec::VpnState> vpns_;  // each VPN connection's, as last published
  bool started_ = false;
  std::vector<std::string> published_;  // the patterns of the last LedsChanged, LEDs then outputs, then the display
};

}  // namespace bulwark::led
