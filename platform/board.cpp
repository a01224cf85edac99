#include "board.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "json_schema.hpp"

namespace bulwark::platform {

namespace {

using nlohmann::json;

Driver driverOf(const json& j) {
  Driver d;
  std::string kind = j["kind"].get<std::string>();
  if (kind == "sysfs") {
    d.kind = Driver::Kind::Sysfs;
    d.name = j["name"].get<std::string>();
  } else if (kind == "gpio") {
    d.kind = Driver::Kind::Gpio;
    d.chip = j["chip"].get<std::string>();
    d.line = j["line"].get<unsigned>();
    d.activeLow = j.value("active_low", false);
  }
  return d;
}

std::vector<std::string> stringsOf(const json& j) {
  std::vector<std::string> out;
  for (const json& s : j) out.push_back(s.get<std::string>());
  return out;
}

// After validation against the schema: every key is known and of its type.
Board boardOf(const json& j) {
  Board b;
  b.name = j["name"].get<std::string>();
  b.description = j["description"].get<std::string>();
  const json& product = j["product"];
  b.productName = product["name"].get<std::string>();
  b.hardware = product["hardware"].get<std::string>();
  b.hardwareVersion = product["hardware_version"].get<std::string>();
  if (product.contains("order_numbers")) b.orderNumbers = stringsOf(product["order_numbers"]);
  b.generation = j["generation"].get<int>();
  b.architecture = j["architecture"].get<std::string>();
  b.hasSwitch = j.value("switch", false);
  b.hasEcs = j.value("ecs", false);
  for (const json& p : j["ports"]) {
    std::string role = p["role"].get<std::string>();
    b.ports.push_back({.name = p["name"].get<std::string>(),
                       .interface = p["interface"].get<std::string>(),
                       .role = role == "external"   ? Port::Role::External
                               : role == "internal" ? Port::Role::Internal
                                                    : Port::Role::Dmz,
                       .name10 = p.value("name10", ""),
                       .name8 = p.value("name8", ""),
                       .switchPort = p.value("switch_port", "")});
  }
  for (const json& l : j["leds"]) {
    b.leds.push_back({l["name"].get<std::string>(), l.value("color", ""), driverOf(l["driver"])});
  }
  b.ledSet = j.value("led_set", "");
  b.smartMode = j.value("smart_mode", false);
  if (j.contains("display")) {
    b.display = Display{j["display"]["digits"].get<unsigned>(), driverOf(j["display"]["driver"])};
  }
  for (const json& i : j["inputs"]) {
    b.inputs.push_back({i["name"].get<std::string>(),
                        i["kind"] == "mode-button" ? Input::Kind::ModeButton : Input::Kind::ServiceContact,
                        driverOf(i["driver"])});
  }
  for (const json& o : j["outputs"]) {
    b.outputs.push_back({o["name"].get<std::string>(),
                         o["kind"] == "alarm" ? Output::Kind::Alarm : Output::Kind::Acknowledge,
                         driverOf(o["driver"])});
  }
  if (j.contains("modem")) {
    const json& m = j["modem"];
    b.modem = Modem{m["type"].get<std::string>(), m.contains("models") ? stringsOf(m["models"]) : std::vector<std::string>{},
                    m["sim_slots"].get<unsigned>()};
  }
  b.modules = stringsOf(j["modules"]);
  b.dataDevice = j["data_device"].get<std::string>();
  b.watchdog = j["watchdog"].get<std::string>();
  return b;
}

// One row of table 3-4: a port's name in each generation and its internal
// switch port in each ("" where the table says n/a).
struct PortRow {
  std::string_view name10, name8, switch10, switch8;
  std::optional<Port::Role> role;
};
constexpr PortRow kTable34[] = {
    {"XF1", "WAN", "", "", Port::Role::External},    {"XF2", "LAN1", "swp0", "swp2", Port::Role::Internal},
    {"XF3", "LAN2", "swp1", "swp0", Port::Role::Internal}, {"XF4", "LAN3", "swp2", "swp1", Port::Role::Internal},
    {"XF5", "LAN4", "swp3", "swp3", Port::Role::Internal}, {"XF5", "DMZ", "dmz0", "swp4", Port::Role::Dmz},
    {"", "LAN5", "", "swp4", Port::Role::Internal},
    // The single LAN port of the mGuard 8 devices without a switch (FL MGUARD RS4000 TX/TX, GT/GT).
    {"XF2", "LAN", "", "", Port::Role::Internal},
};

// The row of `port` on a board of `generation`; null when its names pair no row.
const PortRow* rowOf(const Port& port, int generation) {
  std::string_view name10 = generation == 10 ? port.name : port.name10;
  std::string_view name8 = generation == 8 ? port.name : port.name8;
  const PortRow* found = nullptr;
  for (const PortRow& row : kTable34) {
    if (generation == 10 && row.name10 != name10) continue;
    if (generation == 8 && row.name8 != name8) continue;
    if (generation == 10 && row.name8 == "LAN") continue;
    if (!name10.empty() && row.name10 != name10) continue;
    if (!name8.empty() && row.name8 != name8) continue;
    if (found) return nullptr;  // XF5 without its mGuard 8 name: LAN4 or DMZ
    found = &row;
  }
  return found;
}

std::string_view roleName(Port::Role role) {
  switch (role) {
    case Port::Role::External: return "external";
    case Port::Role::Internal: return "internal";
    case Port::Role::Dmz: return "dmz";
  }
  return "?";
}

template <typename Items>
Status unique(const Items& items, std::string_view what) {
  std::set<std::string> seen;
  for (const auto& item : items) {
    if (!seen.insert(item.name).second) return Error{fmt::format("two {} named {}", what, item.name)};
  }
  return {};
}

Status checkPort(const Board& board, const Port& port) {
  bool gen10 = board.generation == 10;
  bool housing10 = port.name.starts_with("XF");
  if (housing10 != gen10) {
    return Error{fmt::format("port {}: not a name of the mGuard {} generation (table 3-4)", port.name,
                             board.generation)};
  }
  if (!(gen10 ? port.name10 : port.name8).empty()) {
    return Error{fmt::format("port {}: its name of its own generation is its name", port.name)};
  }
  if (port.name == "XF5" && port.name8.empty()) {
    return Error{"port XF5: which is it, LAN4 or DMZ (name8)?"};
  }
  const PortRow* row = rowOf(port, board.generation);
  if (!row) {
    return Error{fmt::format("port {}: {} is not its other name in table 3-4", port.name,
                             gen10 ? port.name8 : port.name10)};
  }
  std::string_view switchPort = gen10 ? row->switch10 : row->switch8;
  if (!port.switchPort.empty() && port.switchPort != switchPort) {
    return Error{fmt::format("port {}: table 3-4 names its switch port {}, not {}", port.name,
                             switchPort.empty() ? "n/a" : switchPort, port.switchPort)};
  }
  if (!port.switchPort.empty() && port.interface != port.switchPort) {
    return Error{fmt::format("port {}: the interface of switch port {} is {}, not {}", port.name, port.switchPort,
                             port.switchPort, port.interface)};
  }
  if (row->role && *row->role != port.role) {
    return Error{fmt::format("port {}: is {}, not {}", port.name, roleName(*row->role), roleName(port.role))};
  }
  return {};
}

}  // namespace

Status checkBoard(const Board& board) {
  std::set<std::string> interfaces, names10, names8;
  int external = 0;
  for (const Port& port : board.ports) {
    if (Status s = checkPort(board, port); !s) return s;
    if (!interfaces.insert(port.interface).second) {
      return Error{fmt::format("port {}: interface {} is another port's too", port.name, port.interface)};
    }
    const std::string& name10 = board.generation == 10 ? port.name : port.name10;
    const std::string& name8 = board.generation == 8 ? port.name : port.name8;
    if (!name10.empty() && !names10.insert(name10).second) return Error{fmt::format("two ports named {}", name10)};
    if (!name8.empty() && !names8.insert(name8).second) return Error{fmt::format("two ports named {}", name8)};
    if (port.role == Port::Role::External) ++external;
  }
  if (external > 1) return Error{"more than one external port"};
  if (Status s = unique(board.leds, "LEDs"); !s) return s;
  if (Status s = unique(board.inputs, "inputs"); !s) return s;
  if (Status s = unique(board.outputs, "outputs"); !s) return s;
  for (const Input& input : board.inputs) {
    if ((input.name == "MODE") != (input.kind == Input::Kind::ModeButton)) {
      return Error{fmt::format("input {}: MODE is the mode button, CMD1-CMD3 are service contacts", input.name)};
    }
  }
  if (board.smartMode) {
    bool button = std::ranges::any_of(board.inputs, [](const Input& i) { return i.kind == Input::Kind::ModeButton; });
    if (!button || !board.display) return Error{"smart mode needs the mode button (MODE) and the display"};
  }
  // Table 3-5: the alarm output is FAULT (O4) on mGuard 8, O3 on mGuard 10.
  for (const Output& output : board.outputs) {
    bool alarm = output.name == (board.generation == 10 ? "O3" : "FAULT");
    if (alarm != (output.kind == Output::Kind::Alarm) || (!alarm && !output.name.starts_with("ACK"))) {
      return Error{fmt::format("output {}: the mGuard {} outputs are ACK1, ACK2 and the alarm {}", output.name,
                               board.generation, board.generation == 10 ? "O3" : "FAULT")};
    }
  }
  return {};
}

Result<Board> parseBoard(std::string_view text) {
  static const json schema = json::parse(boardSchema());
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Error{"not JSON"};
  if (Status s = validate(schema, doc); !s) return Error{s.message()};
  Board board = boardOf(doc);
  if (Status s = checkBoard(board); !s) return Error{s.message()};
  return board;
}

std::vector<std::string> boardNames() {
  std::vector<std::string> names;
  for (const BoardFile& file : boardFiles()) {
    std::string_view name = file.name;
    if (name.ends_with(".json")) names.emplace_back(name.substr(0, name.size() - 5));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<Board> findBoard(std::string_view name) {
  for (const BoardFile& file : boardFiles()) {
    if (file.name != fmt::format("{}.json", name)) continue;
    auto board = parseBoard(file.text);
    // The files are checked by a test before they are built in.
    if (!board) return Error{fmt::format("platform/boards/{}: {}", file.name, board.error())};
    return board;
  }
  std::string known;
  for (const std::string& n : boardNames()) known += (known.empty() ? "" : ", ") + n;
  return Error{fmt::format("Unknown board \"{}\" (known boards: {}).", name, known)};
}

namespace {

std::string describeDriver(const Driver& d) {
  switch (d.kind) {
    case Driver::Kind::Simulated: return "simulated";
    case Driver::Kind::Sysfs: return fmt::format("sysfs {}", d.name);
    case Driver::Kind::Gpio: return fmt::format("gpio {} {}{}", d.chip, d.line, d.activeLow ? " active-low" : "");
  }
  return "?";
}

std::string joined(const std::vector<std::string>& items, std::string_view separator = " ") {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

}  // namespace

std::string describe(const Board& b) {
  std::string out = fmt::format(
      "name: {}\ndescription: {}\nproduct: {}\nhardware: {}\nhardware version: {}\norder numbers: {}\n"
      "generation: {}\narchitecture: {}\nswitch: {}\necs: {}\n",
      b.name, b.description, b.productName, b.hardware, b.hardwareVersion, joined(b.orderNumbers), b.generation,
      b.architecture, b.hasSwitch ? "yes" : "no", b.hasEcs ? "yes" : "no");
  for (const Port& p : b.ports) {
    const std::string& other = b.generation == 10 ? p.name8 : p.name10;
    out += fmt::format("port: {} {} {}", p.name, p.interface, roleName(p.role));
    if (!other.empty()) out += fmt::format(" (mGuard {}: {})", b.generation == 10 ? 8 : 10, other);
    if (!p.switchPort.empty()) out += fmt::format(" switch port {}", p.switchPort);
    out += '\n';
  }
  for (const Led& l : b.leds) {
    out += fmt::format("led: {} {} {}\n", l.name, l.color.empty() ? "-" : l.color, describeDriver(l.driver));
  }
  if (!b.ledSet.empty()) out += fmt::format("led set: {}\n", b.ledSet);
  if (b.smartMode) out += "smart mode: yes\n";
  if (b.display) {
    out += fmt::format("display: 7-segment, {} digits, {}\n", b.display->digits, describeDriver(b.display->driver));
  }
  for (const Input& i : b.inputs) {
    out += fmt::format("input: {} {} {}\n", i.name,
                       i.kind == Input::Kind::ModeButton ? "mode-button" : "service-contact", describeDriver(i.driver));
  }
  for (const Output& o : b.outputs) {
    out += fmt::format("output: {} {} {}\n", o.name, o.kind == Output::Kind::Alarm ? "alarm" : "acknowledge",
                       describeDriver(o.driver));
  }
  if (b.modem) {
    out += fmt::format("modem: {}, {} SIM slot{}{}\n", b.modem->type, b.modem->simSlots,
                       b.modem->simSlots == 1 ? "" : "s",
                       b.modem->models.empty() ? "" : fmt::format(" ({})", joined(b.modem->models, ", ")));
  }
  out += fmt::format("modules: {}\ndata device: {}\nwatchdog: {}\n", joined(b.modules), b.dataDevice, b.watchdog);
  return out;
}

const Port* Board::port(Port::Role role) const {
  for (const Port& p : ports) {
    if (p.role == role) return &p;
  }
  return nullptr;
}

Result<std::string> deviceSerial(const Board& board, const std::filesystem::path& dataDir) {
  (void)board;
  auto path = dataDir / "serial";
  std::ifstream in(path);
  std::string serial;
  if (in && std::getline(in, serial) && serial.size() == 10 &&
      serial.find_first_not_of("0123456789") == std::string::npos) {
    return serial;
  }
  unsigned char random[10];
  if (RAND_bytes(random, sizeof random) != 1) return Error{"no randomness for the device serial"};
  serial.clear();
  serial += static_cast<char>('1' + random[0] % 9);
  for (int i = 1; i < 10; ++i) serial += static_cast<char>('0' + random[i] % 10);
  auto temp = dataDir / "serial.new";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << serial << '\n';
    if (!out.flush()) return Error{fmt::format("cannot write {}", temp.string())};
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return Error{fmt::format("cannot write {}: {}", path.string(), ec.message())};
  return serial;
}

}  // namespace bulwark::platform
