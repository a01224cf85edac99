#include "board.hpp"

#include <algorithm>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "json_schema.hpp"
#include "led/states.hpp"

namespace bulwark::platform {
namespace {

using nlohmann::json;

json qemuJson() {
  for (const BoardFile& file : boardFiles()) {
    if (file.name == "qemu.json") return json::parse(file.text);
  }
  FAIL("no qemu.json");
  return {};
}

std::string errorOf(const json& doc) {
  auto board = parseBoard(doc.dump());
  return board ? "" : board.error();
}

TEST_CASE("every board file is valid and named after its board") {
  REQUIRE(boardFiles().size() >= 7);
  for (const BoardFile& file : boardFiles()) {
    INFO(file.name);
    auto board = parseBoard(file.text);
    REQUIRE(board);
    CHECK(std::string(file.name) == board->name + ".json");
    CHECK(findBoard(board->name));
  }
}

TEST_CASE("every board file satisfies the schema by itself, before the loader's checks") {
  json schema = json::parse(boardSchema());
  for (const BoardFile& file : boardFiles()) {
    INFO(file.name);
    json doc = json::parse(file.text, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    CHECK(validate(schema, doc));
  }
}

// A board's ports as "name interface role", with the other generation's name and the switch port where it has them.
std::vector<std::string> portsOf(const std::string& board) {
  auto b = findBoard(board);
  REQUIRE(b);
  std::vector<std::string> out;
  for (const Port& p : b->ports) {
    std::string line = p.name + " " + p.interface + " " + std::string(p.role == Port::Role::External   ? "external"
                                                                      : p.role == Port::Role::Internal ? "internal"
                                                                                                       : "dmz");
    const std::string& other = b->generation == 10 ? p.name8 : p.name10;
    if (!other.empty()) line += " (" + other + ")";
    if (!p.switchPort.empty()) line += " switch";
    out.push_back(line);
  }
  return out;
}

TEST_CASE("each board's ports and interfaces are those of table 3-4 for its device") {
  using V = std::vector<std::string>;
  CHECK(portsOf("sim").empty());
  CHECK(portsOf("qemu") == V{"XF1 eth0 external (WAN)", "XF2 eth1 internal (LAN1)", "XF5 eth2 dmz (DMZ)"});
  CHECK(portsOf("fl-mguard-4305") == V{"XF1 eth0 external (WAN)", "XF2 swp0 internal (LAN1) switch",
                                       "XF3 swp1 internal (LAN2) switch", "XF4 swp2 internal (LAN3) switch",
                                       "XF5 dmz0 dmz (DMZ) switch"});
  CHECK(portsOf("fl-mguard-2102") == V{"XF1 eth0 external (WAN)", "XF2 eth1 internal (LAN1)"});
  CHECK(portsOf("fl-mguard-rs4000-txtx") == V{"WAN eth0 external (XF1)", "LAN eth1 internal (XF2)"});
  CHECK(portsOf("fl-mguard-gtgt") == V{"WAN eth0 external (XF1)", "LAN eth1 internal (XF2)"});
  CHECK(portsOf("tc-mguard-rs4000-4g") == V{"LAN1 swp2 internal (XF2) switch", "LAN2 swp0 internal (XF3) switch",
                                            "LAN3 swp1 internal (XF4) switch", "LAN4 swp3 internal (XF5) switch",
                                            "DMZ swp4 dmz switch"});
}

TEST_CASE("a board with switch ports has a switch, and one with a modem has the LEDs of table 12-1 for its slots") {
  for (const std::string& name : boardNames()) {
    INFO(name);
    auto b = findBoard(name);
    REQUIRE(b);
    bool switchPorts = std::ranges::any_of(b->ports, [](const Port& p) { return !p.switchPort.empty(); });
    CHECK(switchPorts == b->hasSwitch);
    std::set<std::string> leds;
    for (const Led& led : b->leds) leds.insert(led.name);
    if (!b->modem) continue;
    for (const char* bar : {"BAR1", "BAR2", "BAR3"}) CHECK(leds.contains(bar));
    for (unsigned slot = 1; slot <= b->modem->simSlots; ++slot) CHECK(leds.contains("SIM" + std::to_string(slot)));
  }
}

TEST_CASE("each board's interfaces match its ports") {
  for (const std::string& name : boardNames()) {
    INFO(name);
    auto board = findBoard(name);
    REQUIRE(board);
    CHECK(checkBoard(*board));
    std::set<std::string> interfaces;
    for (const Port& port : board->ports) {
      CHECK(interfaces.insert(port.interface).second);
      if (!port.switchPort.empty()) CHECK(port.interface == port.switchPort);
    }
  }
}

TEST_CASE("the boards of issue 7 are built in") {
  CHECK(boardNames() == std::vector<std::string>{"fl-mguard-2102", "fl-mguard-4305", "fl-mguard-gtgt",
                                                 "fl-mguard-rs4000-txtx", "qemu", "sim", "tc-mguard-rs4000-4g"});
}

TEST_CASE("the sim board has no ports, modules, watchdog or data device") {
  auto b = findBoard("sim");
  REQUIRE(b);
  CHECK(b->description == "simulated board (development and tests)");
  CHECK(b->productName == "bulwark sim");
  CHECK(b->hardware == "SIM");
  CHECK(b->hardwareVersion == "00000000");
  CHECK_FALSE(b->hasSwitch);
  CHECK_FALSE(b->hasEcs);
  CHECK(b->ports.empty());
  CHECK(b->modules.empty());
  CHECK(b->dataDevice.empty());
  CHECK(b->watchdog.empty());
}

TEST_CASE("the qemu board keeps its ports, modules, data device and watchdog") {
  auto b = findBoard("qemu");
  REQUIRE(b);
  CHECK(b->description == "QEMU virtual machine (scripts/run, image/)");
  CHECK(b->productName == "bulwark qemu");
  CHECK(b->hardware == "QEMU");
  CHECK(b->hardwareVersion == "00000001");
  REQUIRE(b->ports.size() == 3);
  CHECK(b->ports[0].name == "XF1");
  CHECK(b->ports[0].interface == "eth0");
  CHECK(b->ports[0].role == Port::Role::External);
  CHECK(b->ports[1].name == "XF2");
  CHECK(b->ports[1].interface == "eth1");
  CHECK(b->ports[1].role == Port::Role::Internal);
  CHECK(b->ports[2].name == "XF5");
  CHECK(b->ports[2].name8 == "DMZ");
  CHECK(b->ports[2].interface == "eth2");
  CHECK(b->ports[2].role == Port::Role::Dmz);
  CHECK(b->modules == std::vector<std::string>{
                          "e1000",        "virtio_pci",  "virtio_blk",      "crc32c_generic", "ext4",
                          "nf_tables",    "nf_conntrack", "nf_nat",         "nft_ct",         "nft_nat",
                          "nft_masq",     "nft_chain_nat", "nft_reject_inet", "nft_log",      "nft_limit",
                          "nft_connlimit", "nft_fib_inet", "nfnetlink_log", "esp4",        "xfrm_user",      "authenc",        "echainiv",
                          "seqiv",        "gcm",         "ghash_generic",   "ctr",            "sha512_generic",
                          "des_generic",  "chacha20poly1305", "chacha_generic", "poly1305_generic", "drbg",
                          "tun",          "veth",        "i6300esb",        "button",         "evdev"});
  CHECK(b->dataDevice == "/dev/vda");
  CHECK(b->watchdog == "/dev/watchdog");
  CHECK_FALSE(b->hasSwitch);
  CHECK_FALSE(b->hasEcs);
}

TEST_CASE("the FL MGUARD RS4000 TX/TX has the LEDs of 12.1 and the contacts of the mGuard 8 generation") {
  auto b = findBoard("fl-mguard-rs4000-txtx");
  REQUIRE(b);
  std::vector<std::string> leds;
  for (const Led& led : b->leds) leds.push_back(led.name);
  CHECK(leds == std::vector<std::string>{"P1", "P2", "STAT", "MOD", "INFO2", "ERR", "FAULT", "INFO1"});
  CHECK(b->ledSet == "rs4000");
  CHECK(b->leds[2].driver.kind == Driver::Kind::Sysfs);
  CHECK(b->architecture == "mpc83xx");
  CHECK(b->ports[0].name == "WAN");
  CHECK(b->ports[0].name10 == "XF1");
  CHECK(b->inputs.size() == 4);
  REQUIRE(b->outputs.size() == 3);
  CHECK(b->outputs[2].name == "FAULT");
  CHECK(b->outputs[2].kind == Output::Kind::Alarm);
}

TEST_CASE("the FL MGUARD 4305 has PF1-PF5 and FAIL, its switch ports and the alarm output O3") {
  auto b = findBoard("fl-mguard-4305");
  REQUIRE(b);
  std::vector<std::string> leds;
  for (const Led& led : b->leds) leds.push_back(led.name);
  CHECK(leds == std::vector<std::string>{"PF1", "PF2", "PF3", "PF4", "PF5", "FAIL"});
  CHECK(b->leds[0].driver.kind == Driver::Kind::Gpio);
  CHECK(b->architecture == "aarch64");
  REQUIRE(b->ports.size() == 5);
  CHECK(b->ports[4].name == "XF5");
  CHECK(b->ports[4].name8 == "DMZ");
  CHECK(b->ports[4].interface == "dmz0");
  CHECK(b->ports[4].role == Port::Role::Dmz);
  CHECK(b->outputs.back().name == "O3");
}

TEST_CASE("the TC MGUARD RS4000 4G has a bar graph, SIM LEDs and an LTE modem with two slots") {
  auto b = findBoard("tc-mguard-rs4000-4g");
  REQUIRE(b);
  std::set<std::string> leds;
  for (const Led& led : b->leds) leds.insert(led.name);
  for (const char* name : {"BAR1", "BAR2", "BAR3", "SIM1", "SIM2", "STAT"}) CHECK(leds.contains(name));
  REQUIRE(b->modem);
  CHECK(b->modem->type == "lte");
  CHECK(b->modem->simSlots == 2);
}

TEST_CASE("the FL MGUARD GT/GT has a two-digit display and the mode LEDs ACT, SPD, FD") {
  auto b = findBoard("fl-mguard-gtgt");
  REQUIRE(b);
  REQUIRE(b->display);
  CHECK(b->display->digits == 2);
  REQUIRE(b->leds.size() == 3);
  CHECK(b->leds[0].name == "ACT");
  CHECK(b->leds[1].name == "SPD");
  CHECK(b->leds[2].name == "FD");
  CHECK(b->inputs.at(0).kind == Input::Kind::ModeButton);
  CHECK(b->smartMode);
}

TEST_CASE("smart mode without a display is refused") {
  json doc;
  for (const BoardFile& file : boardFiles()) {
    if (file.name == "fl-mguard-gtgt.json") doc = json::parse(file.text);
  }
  doc.erase("display");
  CHECK(errorOf(doc) == "smart mode needs the mode button (MODE) and the display");
}

TEST_CASE("an unknown board names the known ones") {
  auto b = findBoard("nope");
  REQUIRE_FALSE(b);
  CHECK(b.error() ==
        "Unknown board \"nope\" (known boards: fl-mguard-2102, fl-mguard-4305, fl-mguard-gtgt, "
        "fl-mguard-rs4000-txtx, qemu, sim, tc-mguard-rs4000-4g).");
}

TEST_CASE("a board file with an unknown key is refused") {
  json doc = qemuJson();
  doc["colour"] = "blue";
  CHECK(errorOf(doc) == "the document: \"colour\" is not a known key");
}

TEST_CASE("a LED driven by a GPIO line needs its chip and line") {
  json doc = qemuJson();
  doc["leds"] = json::parse(R"([{"name": "STAT", "driver": {"kind": "gpio", "chip": "gpiochip0"}}])");
  CHECK(errorOf(doc).starts_with("/leds/0/driver: matches none of its forms"));
}

TEST_CASE("a port whose names table 3-4 does not pair is refused") {
  json doc = qemuJson();
  doc["ports"][1]["name8"] = "LAN2";
  CHECK(errorOf(doc) == "port XF2: LAN2 is not its other name in table 3-4");
}

TEST_CASE("a port named in the other generation is refused") {
  json doc = qemuJson();
  doc["ports"][0]["name"] = "WAN";
  doc["ports"][0].erase("name8");
  CHECK(errorOf(doc) == "port WAN: not a name of the mGuard 10 generation (table 3-4)");
}

TEST_CASE("a switch port's interface is the switch port") {
  json doc = qemuJson();
  doc["ports"][1]["switch_port"] = "swp0";
  CHECK(errorOf(doc) == "port XF2: the interface of switch port swp0 is swp0, not eth1");
  doc["ports"][1]["switch_port"] = "swp1";
  CHECK(errorOf(doc) == "port XF2: table 3-4 names its switch port swp0, not swp1");
}

TEST_CASE("two ports on one interface are refused") {
  json doc = qemuJson();
  doc["ports"][1]["interface"] = "eth0";
  CHECK(errorOf(doc) == "port XF2: interface eth0 is another port's too");
}

TEST_CASE("a port with the role of another row is refused") {
  json doc = qemuJson();
  doc["ports"][1]["role"] = "external";
  CHECK(errorOf(doc) == "port XF2: is internal, not external");
}

TEST_CASE("an LED set the LED engine does not know is refused") {
  json doc = qemuJson();
  doc["led_set"] = "rs2000";
  CHECK(errorOf(doc).starts_with("/led_set: "));
}

TEST_CASE("two LEDs of one name are refused") {
  json doc = qemuJson();
  doc["leds"] = json::parse(R"([{"name": "STAT", "driver": {"kind": "simulated"}},
                                {"name": "STAT", "driver": {"kind": "simulated"}}])");
  CHECK(errorOf(doc) == "two LEDs named STAT");
}

TEST_CASE("the alarm output is O3 on mGuard 10 boards") {
  json doc = qemuJson();
  doc["outputs"] = json::parse(R"([{"name": "FAULT", "kind": "alarm", "driver": {"kind": "simulated"}}])");
  CHECK(errorOf(doc) == "output FAULT: the mGuard 10 outputs are ACK1, ACK2 and the alarm O3");
}

}  // namespace
}  // namespace bulwark::platform

namespace bulwark::platform {
namespace {

TEST_CASE("the sim and qemu boards have the FL MGUARD RS4000's LEDs, simulated") {
  for (const char* name : {"sim", "qemu"}) {
    INFO(name);
    auto b = findBoard(name);
    REQUIRE(b);
    REQUIRE(b->leds.size() == std::size(led::kRs4000Leds));
    for (std::size_t i = 0; i < b->leds.size(); ++i) {
      CHECK(b->leds[i].name == led::kRs4000Leds[i].name);
      CHECK(b->leds[i].driver.kind == Driver::Kind::Simulated);
    }
    CHECK(b->ledSet == "rs4000");
  }
}

TEST_CASE("each board has every LED of its LED set, and the schema names exactly the LED engine's sets") {
  for (const std::string& name : boardNames()) {
    INFO(name);
    auto b = findBoard(name);
    REQUIRE(b);
    if (b->ledSet.empty()) continue;
    const led::LedSet* set = led::findLedSet(b->ledSet);
    REQUIRE(set);
    std::set<std::string> leds;
    for (const Led& led : b->leds) leds.insert(led.name);
    for (const led::LedDefinition& d : set->leds) CHECK(leds.contains(std::string(d.name)));
    for (const led::Deviation& dev : set->deviations) {
      for (std::string_view lit : dev.lit) CHECK(leds.contains(std::string(lit)));
    }
  }
  std::vector<std::string> known;
  json schema = json::parse(boardSchema());
  for (const json& n : schema["properties"]["led_set"]["enum"]) known.push_back(n);
  std::vector<std::string> sets;
  for (const led::LedSet& set : led::kLedSets) sets.emplace_back(set.name);
  CHECK(known == sets);
}

TEST_CASE("the platform-3 boards name the platform-3 LED set, the GT/GT its own, the others the RS4000's") {
  CHECK(findBoard("fl-mguard-4305")->ledSet == "platform-3");
  CHECK(findBoard("fl-mguard-2102")->ledSet == "platform-3");
  CHECK(findBoard("fl-mguard-rs4000-txtx")->ledSet == "rs4000");
  CHECK(findBoard("tc-mguard-rs4000-4g")->ledSet == "rs4000");
  CHECK(findBoard("fl-mguard-gtgt")->ledSet == "gtgt");
}

}  // namespace
}  // namespace bulwark::platform
