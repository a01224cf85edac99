// The LED module in a loop of the test's own: conditions from the bus, the
// board's LEDs driven through the simulated and the sysfs backends.
#include "led/led_module.hpp"

#include <fstream>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "support/support.hpp"

namespace bulwark::led {
namespace {

using namespace std::chrono_literals;

platform::Board boardNamed(const std::string& name) {
  auto board = platform::findBoard(name);
  REQUIRE(board);
  return *board;
}

// Two rule records whose row ids the tests use.
constexpr const char* kService = "MAIv300000001";
constexpr const char* kMaintenance = "MAIv300000002";
// An IPsec connection whose row id the tests use.
constexpr const char* kPlant = "MAIv300000011";

// The factory configuration with the two rule records and `settings`
// (path, value), validated as a change would be.
config::Snapshot withRecords(const std::vector<std::pair<std::string, std::string>>& settings = {}) {
  const config::Schema& schema = config::Schema::builtin();
  config::Config c = config::factoryDefault(schema);
  const config::Variable* table = schema.find("FW_RULESETS");
  REQUIRE(table);
  for (auto [id, name] : {std::pair{kService, "service"}, std::pair{kMaintenance, "maintenance"}}) {
    config::Row row = config::defaultRow(*table, id);
    row.fields["FRIENDLY_NAME"].text = name;
    c.values["FW_RULESETS"].rows.push_back(std::move(row));
  }
  const config::Variable* vpn = schema.find("VPN_CONNECTION");
  REQUIRE(vpn);
  config::Row plant = config::defaultRow(*vpn, kPlant);
  plant.fields["VPN_NAME"].text = "plant";
  plant.fields["ENABLED"].text = "no";
  c.values["VPN_CONNECTION"].rows.push_back(std::move(plant));
  for (const auto& [path, value] : settings) REQUIRE(config::setScalar(schema, c, path, value));
  REQUIRE(config::validate(schema, c));
  return std::make_shared<const config::Config>(std::move(c));
}

// The factory configuration whose LINK_SUPERVISION names `ports`.
config::Snapshot supervising(const std::vector<std::string>& ports) {
  const config::Schema& schema = config::Schema::builtin();
  config::Config c = config::factoryDefault(schema);
  const config::Variable* table = schema.find("LINK_SUPERVISION");
  REQUIRE(table);
  int n = 0;
  for (const std::string& port : ports) {
    config::Row row = config::defaultRow(*table, fmt::format("MAIv30000010{}", n++));
    row.fields["PORT"].text = port;
    c.values["LINK_SUPERVISION"].rows.push_back(std::move(row));
  }
  REQUIRE(config::validate(schema, c));
  return std::make_shared<const config::Config>(std::move(c));
}

struct Rig {
  explicit Rig(platform::Board b, std::filesystem::path sysfs = "/nonexistent")
      : board(std::move(b)),
        module(io, bus, log, board,
               {[this] { return factoryPasswords; },
                [this](const std::string& interface) -> std::optional<bool> {
                  auto it = carriers.find(interface);
                  if (it == carriers.end()) return std::nullopt;
                  return it->second;
                },
                std::bind_front(&Rig::setRuleRecord, this), std::bind_front(&Rig::setVpn, this)},
               {std::move(sysfs), "/nonexistent"}) {
    log.addSink(sink);
  }
  void start(const config::Snapshot& snapshot = nullptr) { REQUIRE(module.start(snapshot)); }
  // Delivers what was published.
  void deliver() {
    io.restart();
    io.poll();
  }
  std::string pattern(const std::string& led) const {
    for (const LedState& s : module.leds()) {
      if (s.led == led) return s.pattern;
    }
    return "(no such LED)";
  }
  // The firewall as the contacts see it: it switches and publishes, or refuses.
  Status setRuleRecord(const std::string& rowid, bool active) {
    if (firewallRefuses) return Error{"The packet filter is not in force on this device."};
    switched.push_back(fmt::format("{} {}", rowid, active ? "active" : "inactive"));
    bus.publish(firewall::RuleRecordChanged{rowid, active});
    return {};
  }
  // The IPsec service as the contacts see it: a started connection is being
  // established ("ready"); the test says when it is up.
  Status setVpn(const std::string& rowid, bool active) {
    switched.push_back(fmt::format("vpn {} {}", rowid, active ? "started" : "stopped"));
    bus.publish(ipsec::VpnStateChanged{rowid, "plant", active ? ipsec::VpnState::Ready : ipsec::VpnState::Void, 0, 1});
    return {};
  }
  // The level of a service contact as the module counts it.
  bool closed(const std::string& input) const {
    nlohmann::json answer = nlohmann::json::parse(module.handleCtlRequest());
    for (const auto& i : answer["inputs"]) {
      if (i["name"] == input) return i["closed"].get<bool>();
    }
    FAIL("no input " << input);
    return false;
  }
  // Closes or opens a simulated contact and runs the loop until it counts.
  void contact(const std::string& input, bool close) {
    REQUIRE(module.simulatedInputs().set(input, close));
    test::runUntil(io, [&] { return closed(input) == close; }, 2s);
    deliver();
  }
  void press(const std::string& input) {
    contact(input, true);
    contact(input, false);
  }
  std::string output(const std::string& name) const {
    for (const LedState& s : module.outputs()) {
      if (s.led == name) return s.pattern;
    }
    return "(no such output)";
  }
  bool logged(const std::string& message) const {
    for (const std::string& m : sink.messages("led")) {
      if (m == message) return true;
    }
    return false;
  }

  boost::asio::io_context io;
  runtime::EventBus bus{io};
  runtime::SystemClock clock;
  log::Log log{clock};
  test::MemorySink sink;
  bool factoryPasswords = false;
  std::map<std::string, bool> carriers;
  std::vector<std::string> switched;  // what the contacts switched: "MAIv300000001 active"
  bool firewallRefuses = false;
  platform::Board board;
  LedModule module;
};

TEST_CASE("booting lights STAT, ERR, FAULT for 12 s and MOD for 3 s, running adds the heartbeat", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start();
  rig.bus.publish(init::SystemStateChanged{init::SystemStateChanged::State::Booting});
  rig.bus.publish(init::SystemStateChanged{init::SystemStateChanged::State::Running});
  rig.deliver();
  CHECK(rig.pattern("STAT") == "on (12 s)");
  CHECK(rig.pattern("ERR") == "on (12 s)");
  CHECK(rig.pattern("FAULT") == "on (12 s)");
  CHECK(rig.pattern("MOD") == "on (3 s)");
  CHECK(rig.pattern("P1") == "off");
  CHECK(rig.module.conditions().holds(Condition::Ok));
  CHECK(rig.module.simulated().states().at("STAT").on);
  CHECK_FALSE(rig.module.simulated().states().at("INFO1").on);
}

TEST_CASE("the timer switches an LED at each change of its pattern", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start();
  std::vector<bool> levels;
  rig.module.simulated().observe([&](const std::string& led, const platform::SimulatedLeds::State& state) {
    if (led == "STAT") levels.push_back(state.on);
  });
  rig.module.setCondition(Condition::Ok, true);
  // The heartbeat: on 70, off 245, on 70, off 875 ms.
  test::runUntil(rig.io, [&] { return levels.size() >= 4; }, 3s);
  CHECK(levels == std::vector<bool>{true, false, true, false});
  rig.module.stop();
}

TEST_CASE("a supervised port whose link goes down raises the FAULT alarm, logged, until it is up again", "[led]") {
  Rig rig(boardNamed("qemu"));
  rig.start(supervising({"XF1", "LAN1"}));
  rig.bus.publish(net::LinkChanged{"eth0", false});
  rig.deliver();
  CHECK(rig.pattern("FAULT") == "on");
  CHECK(rig.module.conditions().holds({Condition::LinkDown, "XF1"}));
  CHECK(rig.logged("alarm raised: link-down XF1: No connectivity on the interface (link supervision)."));
  rig.bus.publish(net::LinkChanged{"eth0", true});
  rig.bus.publish(net::LinkChanged{"veth7", false});  // no port of the board
  rig.deliver();
  CHECK(rig.pattern("FAULT") == "off");
  CHECK(rig.logged("alarm cleared: link-down XF1: No connectivity on the interface (link supervision)."));
  CHECK(rig.module.conditions().asserted().empty());
}

TEST_CASE("a supervised port without carrier at start raises the alarm at once", "[led]") {
  Rig rig(boardNamed("qemu"));
  rig.carriers = {{"eth0", true}, {"eth1", false}, {"eth2", false}};
  rig.start(supervising({"XF1", "XF2"}));
  CHECK(rig.module.conditions().holds({Condition::LinkDown, "XF2"}));
  CHECK_FALSE(rig.module.conditions().holds({Condition::LinkDown, "XF1"}));
  CHECK_FALSE(rig.module.conditions().holds({Condition::LinkDown, "XF5"}));  // not supervised
  CHECK(rig.pattern("FAULT") == "on");
}

TEST_CASE("only the ports LINK_SUPERVISION names are supervised, by either generation's name; others are refused",
          "[led]") {
  Rig rig(boardNamed("qemu"));
  rig.carriers = {{"eth0", true}, {"eth1", true}, {"eth2", false}};
  rig.start();  // the factory configuration supervises nothing
  CHECK(rig.module.conditions().asserted().empty());
  rig.bus.publish(net::LinkChanged{"eth0", false});
  rig.deliver();
  CHECK(rig.module.conditions().asserted().empty());
  CHECK(rig.pattern("FAULT") == "off");
  CHECK_FALSE(rig.logged("alarm raised: link-down XF1: No connectivity on the interface (link supervision)."));
  // Supervising a port whose link is down raises its alarm at once; "DMZ"
  // is XF5's name in the mGuard 8 generation.
  REQUIRE(rig.module.reconfigure(supervising({"WAN", "DMZ"}), {}));
  CHECK(rig.module.conditions().holds({Condition::LinkDown, "XF1"}));
  CHECK(rig.module.conditions().holds({Condition::LinkDown, "XF5"}));
  CHECK(rig.logged("alarm raised: link-down XF5: No connectivity on the interface (link supervision)."));
  CHECK(rig.pattern("FAULT") == "on");
  // A port the board does not have: refused, and the supervision in force stays.
  Status refused = rig.module.reconfigure(supervising({"XF1", "LAN4"}), {});
  REQUIRE_FALSE(refused);
  CHECK(refused.message() ==
        "LINK_SUPERVISION names the port \"LAN4\", which the board qemu does not have; its ports: XF1 (WAN), "
        "XF2 (LAN1), XF5 (DMZ)");
  CHECK(rig.module.conditions().holds({Condition::LinkDown, "XF5"}));
  // No longer supervised: cleared, and logged as such.
  REQUIRE(rig.module.reconfigure(supervising({"XF1"}), {}));
  CHECK_FALSE(rig.module.conditions().holds({Condition::LinkDown, "XF5"}));
  CHECK(rig.logged("alarm cleared: link-down XF5: No connectivity on the interface (link supervision)."));
  CHECK(rig.module.conditions().holds({Condition::LinkDown, "XF1"}));
}

TEST_CASE("LedsChanged is published when a pattern changes, not at each step of a blink", "[led]") {
  Rig rig(boardNamed("sim"));
  std::vector<LedsChanged> published;
  rig.bus.subscribe<LedsChanged>([&](const LedsChanged& e) { published.push_back(e); });
  rig.start();
  rig.module.setCondition(Condition::Ok, true);
  rig.deliver();
  REQUIRE(published.size() == 2);  // at start (all off), then the heartbeat
  const LedsChanged& last = published.back();
  REQUIRE(last.leds.size() == rig.board.leds.size());
  REQUIRE(last.outputs.size() == rig.board.outputs.size());
  CHECK(last.leds[2].led == "STAT");
  CHECK(last.leds[2].pattern == "heartbeat");
  // The heartbeat's steps change no pattern.
  int steps = 0;
  rig.module.simulated().observe([&](const std::string& led, const platform::SimulatedLeds::State&) {
    if (led == "STAT") ++steps;
  });
  rig.io.restart();
  rig.io.run_for(1200ms);
  CHECK(steps >= 3);
  CHECK(published.size() == 2);
  rig.module.setCondition(Condition::PasswordCheck, true);
  rig.deliver();
  REQUIRE(published.size() == 3);
  CHECK(published.back().leds[6].led == "FAULT");
  CHECK(published.back().leds[6].pattern == "on");
  rig.module.stop();
}

TEST_CASE("PASSWORD_CHECK holds while the factory passwords are in use, checked after each change", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.factoryPasswords = true;
  rig.start();
  CHECK(rig.module.conditions().holds(Condition::PasswordCheck));
  CHECK(rig.pattern("FAULT") == "on");
  CHECK(rig.logged("alarm raised: password-check: Passwords not configured (admin or root has its factory password)."));
  rig.factoryPasswords = false;
  rig.bus.publish(runtime::ConfigApplied{2});
  rig.deliver();
  CHECK_FALSE(rig.module.conditions().holds(Condition::PasswordCheck));
  CHECK(rig.pattern("FAULT") == "off");
}

TEST_CASE("Info1 and Info2 are on while their bound rule records are active, off while inactive", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"INFO1_FW_RULESET_REF", kService}, {"INFO2_FW_RULESET_REF", kMaintenance}}));
  rig.bus.publish(firewall::RuleRecordChanged{kService, true});
  rig.bus.publish(firewall::RuleRecordChanged{kMaintenance, false});
  rig.deliver();
  CHECK(rig.pattern("INFO1") == "on");
  CHECK(rig.pattern("INFO2") == "off");
  CHECK(rig.module.simulated().states().at("INFO1").on);
  rig.bus.publish(firewall::RuleRecordChanged{kService, false});
  rig.bus.publish(firewall::RuleRecordChanged{kMaintenance, true});
  rig.deliver();
  CHECK(rig.pattern("INFO1") == "off");
  CHECK(rig.pattern("INFO2") == "on");
  CHECK_FALSE(rig.module.simulated().states().at("INFO1").on);
  // A record that goes with the configuration shows nothing.
  rig.bus.publish(firewall::RuleRecordChanged{kMaintenance, false, true});
  rig.deliver();
  CHECK(rig.pattern("INFO2") == "off");
  rig.module.stop();
}

TEST_CASE("an unbound Info LED stays off whatever the records do, and a change of binding shows at once", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords());
  rig.bus.publish(firewall::RuleRecordChanged{kService, true});
  rig.deliver();
  CHECK(rig.pattern("INFO1") == "off");
  CHECK(rig.pattern("INFO2") == "off");
  REQUIRE(rig.module.reconfigure(withRecords({{"INFO2_FW_RULESET_REF", kService}}), {}));
  CHECK(rig.pattern("INFO2") == "on");
  CHECK(rig.pattern("INFO1") == "off");
  rig.module.stop();
}

TEST_CASE("a rule record on Info2 gives way to the flash procedure's running light", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"INFO2_FW_RULESET_REF", kService}}));
  rig.bus.publish(firewall::RuleRecordChanged{kService, true});
  rig.deliver();
  rig.module.setCondition(Condition::FlashRunning, true);
  CHECK(rig.pattern("INFO2") == "running light");
  rig.module.setCondition(Condition::FlashRunning, false);
  CHECK(rig.pattern("INFO2") == "on");
  rig.module.stop();
}

TEST_CASE("the platform-3 board shows Info2's record on PF3, the LED of the info2 column", "[led]") {
  Rig rig(boardNamed("fl-mguard-4305"));  // GPIO LEDs, contacts and outputs, simulated here: no chip
  rig.start(withRecords({{"INFO2_FW_RULESET_REF", kService}}));
  rig.bus.publish(firewall::RuleRecordChanged{kService, true});
  rig.deliver();
  CHECK(rig.pattern("PF3") == "on");
  CHECK(rig.module.simulatedInputs().levels().size() == 3);  // CMD1-CMD3, not the mode button
  CHECK(rig.module.simulatedOutputs().states().size() == 3);
  CHECK(rig.logged(fmt::format("input CMD1: gpiochip0 line 1: cannot open /nonexistent/gpiochip0: "
                               "No such file or directory; it is simulated instead")));
  rig.module.stop();
}

TEST_CASE("an Info LED takes only an existing rule record", "[led]") {
  const config::Schema& schema = config::Schema::builtin();
  config::Config c = *withRecords();
  REQUIRE(config::setScalar(schema, c, "INFO1_FW_RULESET_REF", "MAIv399999999"));
  CHECK(config::validate(schema, c).message() ==
        "Error for INFO1_FW_RULESET_REF=\"MAIv399999999\": No FW_RULESETS row has this row id.");
}

TEST_CASE("a push button on CMD1 starts its rule record, the next press stops it, and ACK1 follows", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"CMD1_FW_RULESET_REF", kService}, {"ACK1_FW_RULESET_REF", kService}}));
  rig.bus.publish(firewall::RuleRecordChanged{kService, false});
  rig.deliver();
  CHECK(rig.output("ACK1") == "off");
  rig.press("CMD1");
  CHECK(rig.switched == std::vector<std::string>{"MAIv300000001 active"});
  CHECK(rig.output("ACK1") == "on");
  CHECK(rig.module.simulatedOutputs().states().at("ACK1").on);
  CHECK(rig.output("ACK2") == "off");
  CHECK(rig.logged("CMD1 pressed: rule record MAIv300000001 to be active"));
  rig.press("CMD1");
  CHECK(rig.switched == std::vector<std::string>{"MAIv300000001 active", "MAIv300000001 inactive"});
  CHECK(rig.output("ACK1") == "off");
  CHECK_FALSE(rig.module.simulatedOutputs().states().at("ACK1").on);
  // CMD3 is bound to nothing: pressing it switches nothing.
  rig.press("CMD3");
  CHECK(rig.switched.size() == 2);
  rig.module.stop();
}

TEST_CASE("an on/off switch on CMD2 starts its rule record when switched on and stops it when switched off",
          "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords(
      {{"CMD2_MODE", "switch"}, {"CMD2_FW_RULESET_REF", kMaintenance}, {"ACK2_FW_RULESET_REF", kMaintenance}}));
  rig.contact("CMD2", true);
  CHECK(rig.switched == std::vector<std::string>{"MAIv300000002 active"});
  CHECK(rig.output("ACK2") == "on");
  CHECK(rig.logged("CMD2 switched on: rule record MAIv300000002 to be active"));
  rig.contact("CMD2", false);
  CHECK(rig.switched == std::vector<std::string>{"MAIv300000002 active", "MAIv300000002 inactive"});
  CHECK(rig.output("ACK2") == "off");
  rig.module.stop();
}

TEST_CASE("an LED bound to a VPN connection: on established, blinking while being established, off stopped",
          "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"INFO1_VPN_REF", kPlant}}));
  CHECK(rig.pattern("INFO1") == "off");
  rig.bus.publish(ipsec::VpnStateChanged{kPlant, "plant", ipsec::VpnState::Ready, 0, 1});
  rig.deliver();
  CHECK(rig.pattern("INFO1") == "blink 500/500");
  rig.bus.publish(ipsec::VpnStateChanged{kPlant, "plant", ipsec::VpnState::Active, 1, 1});
  rig.deliver();
  CHECK(rig.pattern("INFO1") == "on");
  CHECK(rig.module.simulated().states().at("INFO1").on);
  rig.bus.publish(ipsec::VpnStateChanged{kPlant, "plant", ipsec::VpnState::Void, 0, 1});
  rig.deliver();
  CHECK(rig.pattern("INFO1") == "off");
  // A rule record's events do not touch it.
  rig.bus.publish(firewall::RuleRecordChanged{kService, true});
  rig.deliver();
  CHECK(rig.pattern("INFO1") == "off");
  rig.module.stop();
}

TEST_CASE("a push button on CMD1 starts its VPN connection, the next press stops it, and ACK1 follows", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"CMD1_VPN_REF", kPlant}, {"ACK1_VPN_REF", kPlant}}));
  rig.press("CMD1");
  CHECK(rig.switched == std::vector<std::string>{"vpn MAIv300000011 started"});
  CHECK(rig.logged("CMD1 pressed: VPN connection MAIv300000011 to be started"));
  CHECK(rig.output("ACK1") == "blink 500/500");
  rig.bus.publish(ipsec::VpnStateChanged{kPlant, "plant", ipsec::VpnState::Active, 1, 1});
  rig.deliver();
  CHECK(rig.output("ACK1") == "on");
  rig.press("CMD1");
  CHECK(rig.switched == std::vector<std::string>{"vpn MAIv300000011 started", "vpn MAIv300000011 stopped"});
  CHECK(rig.output("ACK1") == "off");
  rig.module.stop();
}

TEST_CASE("a contact or LED bound to both a rule record and a VPN connection is refused, and nothing changes",
          "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"CMD2_FW_RULESET_REF", kService}}));
  Status s = rig.module.reconfigure(withRecords({{"CMD2_FW_RULESET_REF", kService}, {"CMD2_VPN_REF", kPlant}}), {});
  REQUIRE_FALSE(s);
  CHECK(s.message() ==
        "CMD2 is bound to both a firewall rule record (CMD2_FW_RULESET_REF) and a VPN connection (CMD2_VPN_REF); "
        "it can show or switch one of them");
  rig.press("CMD2");  // still the rule record
  CHECK(rig.switched == std::vector<std::string>{"MAIv300000001 active"});
  rig.module.stop();
}

TEST_CASE("a bouncing contact counts once its level has held", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"CMD1_FW_RULESET_REF", kService}}));
  auto& inputs = rig.module.simulatedInputs();
  // Each change is seen at once (poll), each before the last has held.
  for (bool level : {true, false, true}) {
    REQUIRE(inputs.set("CMD1", level));
    rig.deliver();
  }
  test::runUntil(rig.io, [&] { return rig.closed("CMD1"); }, 2s);
  rig.contact("CMD1", false);
  CHECK(rig.switched == std::vector<std::string>{"MAIv300000001 active"});
  rig.module.stop();
}

TEST_CASE("a switch the firewall refuses is logged and changes nothing", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"CMD1_FW_RULESET_REF", kService}, {"ACK1_FW_RULESET_REF", kService}}));
  rig.firewallRefuses = true;
  rig.press("CMD1");
  CHECK(rig.logged("CMD1: The packet filter is not in force on this device."));
  CHECK(rig.output("ACK1") == "off");
  rig.module.stop();
}

TEST_CASE("the alarm output follows the FAULT alarms, not booting's FAULT LED", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords());
  rig.module.setCondition(Condition::Booting, true);
  CHECK(rig.pattern("FAULT") == "on (12 s)");
  CHECK(rig.output("O3") == "off");
  rig.module.setCondition({Condition::LinkDown, "XF1"}, true);
  CHECK(rig.output("O3") == "on");
  CHECK(rig.module.simulatedOutputs().states().at("O3").on);
  rig.module.setCondition(Condition::Temperature, true);
  rig.module.setCondition({Condition::LinkDown, "XF1"}, false);
  CHECK(rig.output("O3") == "on");  // one alarm still holds
  rig.module.setCondition(Condition::Temperature, false);
  CHECK(rig.output("O3") == "off");
  CHECK_FALSE(rig.module.simulatedOutputs().states().at("O3").on);
  CHECK(rig.logged("alarm cleared: temperature: Temperature too high / low."));
  rig.module.stop();
}

TEST_CASE("PASSWORD_CHECK ignore raises no alarm; supervise raises it on the FAULT LED and the alarm output",
          "[led]") {
  Rig rig(boardNamed("sim"));
  rig.factoryPasswords = true;
  rig.start(withRecords({{"PASSWORD_CHECK", "ignore"}}));
  CHECK_FALSE(rig.module.conditions().holds(Condition::PasswordCheck));
  CHECK(rig.output("O3") == "off");
  REQUIRE(rig.module.reconfigure(withRecords({{"PASSWORD_CHECK", "supervise"}}), {}));
  CHECK(rig.pattern("FAULT") == "on");
  CHECK(rig.output("O3") == "on");
  CHECK(rig.logged("alarm raised: password-check: Passwords not configured (admin or root has its factory password)."));
  rig.module.stop();
}

TEST_CASE("the ctl sets a simulated input and refuses what it cannot set", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start(withRecords({{"CMD1_FW_RULESET_REF", kService}}));
  CHECK(rig.module.handleInputRequest(R"({"ctl":"input","name":"CMD1","closed":true})") == R"({"ok":true})");
  test::runUntil(rig.io, [&] { return rig.closed("CMD1"); }, 2s);
  CHECK(rig.switched == std::vector<std::string>{"MAIv300000001 active"});
  CHECK(rig.module.handleInputRequest(R"({"ctl":"input","name":"CMD7","closed":true})") ==
        R"({"error":"No simulated input is named CMD7.","ok":false})");
  auto malformed = nlohmann::json::parse(rig.module.handleInputRequest(R"({"ctl":"input","name":"CMD1"})"));
  CHECK(malformed["ok"] == false);
  CHECK(rig.module.simulatedInputs().levels().at("CMD1"));
  auto answer = nlohmann::json::parse(rig.module.handleCtlRequest());
  CHECK(answer["inputs"][0] == nlohmann::json{{"name", "CMD1"}, {"closed", true}});
  CHECK(answer["outputs"].size() == 3);
  CHECK(answer["outputs"][2]["name"] == "O3");
  rig.module.stop();
}

TEST_CASE("the ctl answer names every LED of the board with its pattern, in the board's order", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start();
  rig.module.setCondition(Condition::Ok, true);
  auto answer = nlohmann::json::parse(rig.module.handleCtlRequest());
  CHECK(answer["ok"] == true);
  REQUIRE(answer["leds"].size() == 8);
  CHECK(answer["leds"][0]["name"] == "P1");
  CHECK(answer["leds"][2]["name"] == "STAT");
  CHECK(answer["leds"][2]["pattern"] == "heartbeat");
  rig.module.stop();
}

// A board with MOD on a sysfs LED class device in a temporary directory.
struct SysfsRig {
  SysfsRig() {
    std::filesystem::create_directories(dir / "mguard:green:mod");
    std::ofstream(dir / "mguard:green:mod" / "max_brightness") << "1\n";
    platform::Board b = boardNamed("sim");
    for (platform::Led& led : b.leds) {
      if (led.name == "MOD") led.driver = {platform::Driver::Kind::Sysfs, "mguard:green:mod"};
      if (led.name == "ERR") led.driver = {platform::Driver::Kind::Sysfs, "mguard:red:err"};  // not there
    }
    rig = std::make_unique<Rig>(b, dir.path());
  }
  std::string read(const std::string& file) const {
    std::ifstream in(dir / "mguard:green:mod" / file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  test::TempDir dir;
  std::unique_ptr<Rig> rig;
};

TEST_CASE("a blink of two steps is handed to the kernel's timer trigger, a steady level ends it", "[led]") {
  SysfsRig s;
  s.rig->start();
  CHECK(s.read("brightness") == "0");
  s.rig->module.setCondition(Condition::ModemDialing, true);  // MOD blink 500/500
  CHECK(s.read("trigger") == "timer");
  CHECK(s.read("delay_on") == "500");
  CHECK(s.read("delay_off") == "500");
  s.rig->module.setCondition(Condition::ModemConnected, true);  // MOD ON
  CHECK(s.read("trigger") == "none");
  CHECK(s.read("brightness") == "1");
}

TEST_CASE("an LED whose backend cannot be opened is simulated instead, and said so", "[led]") {
  SysfsRig s;
  s.rig->start();
  CHECK(s.rig->logged(fmt::format("LED ERR: no {}; it is simulated instead", (s.dir / "mguard:red:err").string())));
  s.rig->module.setCondition(Condition::SevereError, true);
  CHECK(s.rig->module.simulated().states().at("ERR").on);
}

}  // namespace
}  // namespace bulwark::led

namespace bulwark::led {
namespace {

TEST_CASE("the platform-3 board shows the flash procedure's start on PF1-PF5 and a severe error on FAIL", "[led]") {
  Rig rig(boardNamed("fl-mguard-4305"));
  rig.start();
  rig.module.setCondition(Condition::SevereError, true);
  CHECK(rig.pattern("FAIL") == "on");
  rig.module.setCondition(Condition::FlashStarted, true);
  for (const char* led : {"PF1", "PF2", "PF3", "PF4", "PF5"}) CHECK(rig.pattern(led) == "on");
  CHECK(rig.pattern("FAIL") == "off");
  rig.module.stop();
}

TEST_CASE("the GT/GT held from power-up shows smart mode's 51 on its display and mode LEDs; a press selects 55",
          "[led]") {
  Rig rig(boardNamed("fl-mguard-gtgt"));
  std::vector<std::optional<std::string>> displayed;  // what LedsChanged says, in order
  rig.bus.subscribe<LedsChanged>([&](const LedsChanged& e) { displayed.push_back(e.display); });
  // The button already held when the core starts (the power came on long ago: the monotonic clock's zero).
  REQUIRE(rig.module.simulatedInputs().add("MODE"));
  REQUIRE(rig.module.simulatedInputs().set("MODE", true));
  rig.start();
  rig.deliver();
  REQUIRE_FALSE(displayed.empty());
  CHECK(displayed.back() == "51");
  REQUIRE(rig.module.smartMode());
  CHECK(rig.module.smartMode()->state() == SmartMode::State::Selecting);
  CHECK(rig.module.display() == "51");
  CHECK(rig.module.simulatedDisplay().text() == "51");
  CHECK(rig.pattern("FD") == "blink 200/200 (1200 ms)");
  CHECK(nlohmann::json::parse(rig.module.handleCtlRequest())["display"] == "51");
  rig.contact("MODE", false);  // the hold that entered
  CHECK(rig.module.display() == "51");
  rig.press("MODE");
  CHECK(rig.module.display() == "55");
  CHECK(rig.module.simulatedDisplay().text() == "55");
  rig.deliver();
  CHECK(displayed.back() == "55");
  rig.module.setCondition(Condition::FlashSucceeded, true);  // smart mode's LEDs and code show over it
  CHECK(rig.module.display() == "55");
  CHECK(rig.pattern("SPD") == "blink 200/200 (1200 ms)");
  rig.module.stop();
  CHECK(rig.module.simulatedDisplay().text() == "");
}

TEST_CASE("the GT/GT executes what smart mode selected after a 5 s hold: exit without changes, or a function no "
          "service does yet, logged as not available",
          "[led]") {
  Rig rig(boardNamed("fl-mguard-gtgt"));
  REQUIRE(rig.module.simulatedInputs().add("MODE"));
  REQUIRE(rig.module.simulatedInputs().set("MODE", true));
  rig.start();
  rig.contact("MODE", false);
  rig.press("MODE");  // 55: the recovery procedure
  rig.contact("MODE", true);
  test::runUntil(rig.io, [&] { return rig.module.smartMode()->state() == SmartMode::State::Off; }, 7s);
  CHECK(rig.module.display() == "");
  CHECK(rig.logged("smart mode: Activate the recovery procedure (55)"));
  CHECK(rig.logged("smart mode: Activate the recovery procedure: not available: no service does it here yet"));
  rig.module.stop();
}

TEST_CASE("the GT/GT not held at power-up: a dark display, 05 and the mode LEDs blinking once the flash procedure "
          "succeeded",
          "[led]") {
  Rig rig(boardNamed("fl-mguard-gtgt"));
  rig.start();
  REQUIRE(rig.module.smartMode());
  CHECK(rig.module.smartMode()->state() == SmartMode::State::Off);
  CHECK(rig.module.display() == "");
  CHECK(nlohmann::json::parse(rig.module.handleCtlRequest())["display"] == "");
  rig.press("MODE");
  CHECK(rig.module.display() == "");
  rig.module.setCondition(Condition::FlashSucceeded, true);
  CHECK(rig.module.simulatedDisplay().text() == "05");
  for (const char* led : {"ACT", "SPD", "FD"}) CHECK(rig.pattern(led) == "blink 50/800");
  rig.module.stop();
}

TEST_CASE("a board without a display has none in the ctl answer", "[led]") {
  Rig rig(boardNamed("sim"));
  rig.start();
  CHECK_FALSE(rig.module.display());
  CHECK_FALSE(nlohmann::json::parse(rig.module.handleCtlRequest()).contains("display"));
  rig.module.stop();
}

TEST_CASE("the TC MGUARD RS4000 4G shows the modem's signal on the bar graph and its SIM cards on SIM1 and SIM2",
          "[led]") {
  Rig rig(boardNamed("tc-mguard-rs4000-4g"));
  rig.start();
  for (const char* led : {"BAR1", "BAR2", "BAR3", "SIM1", "SIM2"}) CHECK(rig.pattern(led) == "off");
  rig.bus.publish(ModemSignalChanged{-80, {SimState::Active, SimState::PinMissing}});
  rig.deliver();
  CHECK(rig.pattern("BAR1") == "on");
  CHECK(rig.pattern("BAR2") == "on");
  CHECK(rig.pattern("BAR3") == "off");
  CHECK(rig.pattern("SIM1") == "on");
  CHECK(rig.pattern("SIM2") == "blink 500/500");
  rig.bus.publish(ModemSignalChanged{std::nullopt, {SimState::Absent, SimState::Active}});
  rig.deliver();
  CHECK(rig.pattern("BAR1") == "off");
  CHECK(rig.pattern("SIM1") == "off");
  CHECK(rig.pattern("SIM2") == "on");
  rig.module.stop();
}

}  // namespace
}  // namespace bulwark::led
