#include "led/led_module.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bulwark::led {

namespace {

// What `name` shows of table 12-3 in `set` (none: no set).
LedDefinition definitionIn(const LedSet* set, std::string_view name) {
  if (set) {
    for (const LedDefinition& d : set->leds) {
      if (d.name == name) return {name, d.role, d.alsoShows};
    }
  }
  return {name, std::nullopt};
}

// The run an LED shows at `t`: the first that has not ended; null when none.
const Run* shownRun(const LedPlan& plan, TimePoint t) {
  for (const Run& run : plan.runs) {
    if (!ended(run.pattern, run.start, t)) return &run;
  }
  return nullptr;
}

// A blink of table 12-2 the kernel's timer trigger can do: on, then off,
// forever. Not the running light, whose three LEDs must keep their phase.
bool handable(const Pattern& p) {
  return p.name.starts_with("blink ") && p.cycle.size() == 2 && p.cycle[0].on && !p.cycle[1].on && !p.lasts &&
         p.offset == Millis::zero();
}

}  // namespace

struct LedModule::Impl {
  explicit Impl(boost::asio::io_context& io) : io(io), timer(io) {}

  struct Device {
    std::unique_ptr<platform::LedDevice> device;
    std::optional<bool> level;  // as last set; nullopt: not set yet
    // The run handed to the backend as a blink (its pattern's name and start).
    std::optional<std::pair<std::string, TimePoint>> handed;
    bool failing = false;  // the last write failed (logged once until it works again)
  };

  // A service contact (or the mode button), watched on the loop through its event descriptor.
  struct Contact {
    std::string name;
    std::unique_ptr<platform::InputDevice> device;
    std::unique_ptr<boost::asio::posix::stream_descriptor> events;  // a dup of the device's
    std::unique_ptr<boost::asio::steady_timer> settle;              // the debounce
    bool closed = false;  // the level that counted last
    bool failing = false;  // the last read failed (logged once until it works again)
  };

  boost::asio::io_context& io;
  boost::asio::steady_timer timer;
  std::vector<Device> devices;  // the board's LEDs, then its outputs, in its order
  std::vector<Contact> contacts;
  std::unique_ptr<platform::DisplayDevice> display;
  std::optional<std::string> shown;  // on the display, as last set
};

LedModule::LedModule(boost::asio::io_context& io, runtime::EventBus& bus, log::Log& log,
                     const platform::Board& board, Sources sources, platform::DevicePaths paths)
    : impl_(std::make_unique<Impl>(io)),
      bus_(bus),
      log_(log),
      board_(board),
      sources_(std::move(sources)),
      paths_(std::move(paths)) {
  const LedSet* set = findLedSet(board_.ledSet);
  if (set) deviations_ = set->deviations;
  for (const platform::Led& led : board_.leds) definitions_.push_back(definitionIn(set, led.name));
  bound_.resize(definitions_.size() + board_.outputs.size());
  bus_.subscribe<init::SystemStateChanged>(std::bind_front(&LedModule::onSystemState, this));
  bus_.subscribe<runtime::ConfigApplied>(std::bind_front(&LedModule::onConfigApplied, this));
  bus_.subscribe<net::LinkChanged>(std::bind_front(&LedModule::onLinkChanged, this));
  bus_.subscribe<firewall::RuleRecordChanged>(std::bind_front(&LedModule::onRuleRecord, this));
  bus_.subscribe<ipsec::VpnStateChanged>(std::bind_front(&LedModule::onVpnState, this));
  bus_.subscribe<ModemSignalChanged>(std::bind_front(&LedModule::onModemSignal, this));
}

LedModule::~LedModule() = default;

Status LedModule::start(const config::Snapshot& snapshot) {
  if (Status s = configure(snapshot); !s) log_.write("led", s.message() + "; the service contacts are not bound");
  openDevices();
  if (board_.smartMode) {
    // Held since power-up: the monotonic clock counts from boot (smart_mode.hpp).
    bool held = false;
    for (const Impl::Contact& contact : impl_->contacts) held = held || (contact.name == "MODE" && contact.closed);
    smartMode_.emplace(TimePoint{}, held);
  }
  started_ = true;
  checkPasswords();
  if (sources_.carrier) {
    for (const platform::Port& port : board_.ports) {
      if (auto carrier = sources_.carrier(port.interface)) links_[port.name] = *carrier;
    }
  }
  superviseLinks();
  refresh();
  return {};
}

namespace {

// The LED or output `opened`, or, when it could not be opened, the reason
// logged and a simulated one named `name` in `simulated`.
std::unique_ptr<platform::LedDevice> orSimulated(Result<std::unique_ptr<platform::LedDevice>> opened,
                                                 platform::SimulatedLeds& simulated, const std::string& name,
                                                 log::Log& log) {
  if (opened) return std::move(*opened);
  log.write("led", fmt::format("{}; it is simulated instead", opened.error()));
  return platform::simulatedLed(simulated, name);
}

}  // namespace

void LedModule::openDevices() {
  for (const platform::Led& led : board_.leds) {
    impl_->devices.push_back({orSimulated(platform::openLed(led, paths_, simulated_), simulated_, led.name, log_)});
  }
  for (const platform::Output& output : board_.outputs) {
    impl_->devices.push_back({orSimulated(platform::openOutput(output, paths_, simulatedOutputs_), simulatedOutputs_,
                                          output.name, log_)});
  }
  if (board_.display) {
    auto display = platform::openDisplay(*board_.display, simulatedDisplay_);
    if (!display) log_.write("led", fmt::format("{}; it is simulated instead", display.error()));
    impl_->display = display ? std::move(*display) : platform::simulatedDisplay(simulatedDisplay_, board_.display->digits);
  }
  for (const platform::Input& input : board_.inputs) {
    bool modeButton = input.kind == platform::Input::Kind::ModeButton;
    if (modeButton && !board_.smartMode) continue;
    auto device = platform::openInput(input, paths_, simulatedInputs_);
    if (!device) {
      log_.write("led", fmt::format("{}; it is simulated instead", device.error()));
      device = platform::openInput({input.name, input.kind, {}}, paths_, simulatedInputs_);
    }
    int fd = device ? ::dup((*device)->eventFd()) : -1;
    if (fd < 0) {
      log_.write("led", fmt::format("input {}: not read: {}", input.name,
                                    device ? std::strerror(errno) : device.error()));
      continue;
    }
    Impl::Contact& contact = impl_->contacts.emplace_back();
    contact.name = input.name;
    contact.device = std::move(*device);
    auto level = contact.device->level();
    contact.closed = level && *level;
    contact.events = std::make_unique<boost::asio::posix::stream_descriptor>(impl_->io, fd);
    contact.settle = std::make_unique<boost::asio::steady_timer>(impl_->io);
    watchInput(impl_->contacts.size() - 1);
  }
}

void LedModule::watchInput(std::size_t index) {
  impl_->contacts[index].events->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                                            std::bind_front(&LedModule::onInputEvent, this, index));
}

// The level may have changed: it counts once it has held for kDebounce
// (each event starts the wait anew).
void LedModule::onInputEvent(std::size_t index, const boost::system::error_code& ec) {
  if (ec) return;
  Impl::Contact& contact = impl_->contacts[index];
  if (Status s = contact.device->consumeEvents(); !s) log_.write("led", s.message());
  contact.settle->expires_after(kDebounce);
  contact.settle->async_wait(std::bind_front(&LedModule::onInputSettled, this, index));
  watchInput(index);
}

void LedModule::onInputSettled(std::size_t index, const boost::system::error_code& ec) {
  if (ec) return;
  Impl::Contact& contact = impl_->contacts[index];
  auto level = contact.device->level();
  if (!level) {
    if (!contact.failing) log_.write("led", level.error());
    contact.failing = true;
    return;
  }
  contact.failing = false;
  if (*level == contact.closed) return;
  contact.closed = *level;
  onContact(contact.name, *level);
}

void LedModule::onContact(const std::string& name, bool closed) {
  if (name == "MODE") return onModeButton(closed);
  auto command = commands_.find(name);
  if (command == commands_.end()) return;
  const Command& cmd = command->second;
  const Binding& target = cmd.target;
  if (target.record.empty() && target.vpn.empty()) return;
  if (cmd.pushButton && !closed) return;  // a push button acts when pressed
  const char* how = cmd.pushButton ? "pressed" : closed ? "switched on" : "switched off";
  Status s;
  if (!target.vpn.empty()) {
    // A press stops a connection that is up or coming up, starts one that is not.
    auto vpn = vpns_.find(target.vpn);
    bool active = cmd.pushButton ? vpn == vpns_.end() || vpn->second == ipsec::VpnState::Void : closed;
    log_.write("led", fmt::format("{} {}: VPN connection {} to be {}", name, how, target.vpn,
                                  active ? "started" : "stopped"));
    s = sources_.setVpn ? sources_.setVpn(target.vpn, active) : Status(Error{"No IPsec service starts connections here."});
  } else {
    auto record = records_.find(target.record);
    bool active = cmd.pushButton ? !(record != records_.end() && record->second) : closed;
    log_.write("led", fmt::format("{} {}: rule record {} to be {}", name, how, target.record,
                                  active ? "active" : "inactive"));
    s = sources_.setRuleRecord ? sources_.setRuleRecord(target.record, active)
                               : Status(Error{"No firewall switches rule records here."});
  }
  if (!s) log_.write("led", fmt::format("{}: {}", name, s.message()));
}

Status LedModule::reconfigure(const config::Snapshot& snapshot, const config::Diff&) {
  if (Status s = configure(snapshot); !s) return s;
  checkPasswords();
  superviseLinks();
  refresh();
  return {};
}

Status LedModule::configure(const config::Snapshot& snapshot) {
  auto get = [&snapshot](const std::string& variable) {
    return snapshot ? snapshot->get(variable) : std::string();
  };
  // What "<name>_FW_RULESET_REF" and "<name>_VPN_REF" bind; one or the other.
  std::optional<std::string> conflict;
  auto binding = [&](const std::string& name) {
    Binding b{get(name + "_FW_RULESET_REF"), get(name + "_VPN_REF")};
    if (!b.record.empty() && !b.vpn.empty() && !conflict) conflict = name;
    return b;
  };
  std::vector<Binding> bound(definitions_.size() + board_.outputs.size());
  for (std::size_t i = 0; i < definitions_.size(); ++i) {
    const char* name = definitions_[i].name == "INFO1"         ? "INFO1"
                       : definitions_[i].role == Role::Info2 ? "INFO2"
                                                             : nullptr;
    if (name) bound[i] = binding(name);
  }
  // ACK1 and ACK2 (checkBoard: the outputs are these and the alarm output).
  for (std::size_t i = 0; i < board_.outputs.size(); ++i) {
    const platform::Output& output = board_.outputs[i];
    if (output.kind == platform::Output::Kind::Acknowledge) bound[definitions_.size() + i] = binding(output.name);
  }
  std::map<std::string, Command> commands;
  for (const platform::Input& input : board_.inputs) {
    if (input.kind != platform::Input::Kind::ServiceContact) continue;
    commands[input.name] = {get(input.name + "_MODE") != "switch", binding(input.name)};
  }
  if (conflict) {
    return Error{fmt::format("{0} is bound to both a firewall rule record ({0}_FW_RULESET_REF) and a VPN "
                             "connection ({0}_VPN_REF); it can show or switch one of them",
                             *conflict)};
  }
  std::set<std::string> supervised;
  if (const config::Value* rows = snapshot ? snapshot->find("LINK_SUPERVISION") : nullptr) {
    for (const config::Row& row : rows->rows) {
      auto cell = row.fields.find("PORT");
      std::string name = cell == row.fields.end() ? std::string() : cell->second.text;
      const platform::Port* port = portNamed(name);
      if (!port) {
        std::string known;
        for (const platform::Port& p : board_.ports) {
          known += fmt::format("{}{}{}", known.empty() ? "" : ", ", p.name,
                               p.name8.empty() || p.name8 == p.name ? "" : " (" + p.name8 + ")");
        }
        return Error{fmt::format("LINK_SUPERVISION names the port \"{}\", which the board {} does not have; its "
                                 "ports: {}",
                                 name, board_.name, known)};
      }
      supervised.insert(port->name);
    }
  }
  supervised_ = std::move(supervised);
  bound_ = std::move(bound);
  commands_ = std::move(commands);
  passwordCheck_ = get("PASSWORD_CHECK") != "ignore";
  return {};
}

void LedModule::stop() {
  impl_->timer.cancel();
  for (Impl::Contact& contact : impl_->contacts) {
    contact.events->cancel();
    contact.settle->cancel();
  }
  for (Impl::Device& d : impl_->devices) {
    if (Status s = d.device->set(false); !s) log_.write("led", s.message());
  }
  if (impl_->display) {
    if (Status s = impl_->display->show(""); !s) log_.write("led", s.message());
    impl_->shown.reset();
  }
  started_ = false;
}

void LedModule::setCondition(const ConditionId& id, bool holds) {
  bool changed = holds ? conditions_.set(id, Clock::now()) : conditions_.clear(id);
  if (!changed) return;
  StateDefinition def = definition(id.condition);
  if (def.tier == Tier::Alarm) {
    log_.write("led", fmt::format("alarm {}: {}{}: {}", holds ? "raised" : "cleared", def.name,
                                  id.subject.empty() ? "" : " " + id.subject, def.description));
  }
  refresh();
}

void LedModule::onSystemState(const init::SystemStateChanged& event) {
  switch (event.state) {
    case init::SystemStateChanged::State::Booting: setCondition(Condition::Booting, true); break;
    case init::SystemStateChanged::State::Running: setCondition(Condition::Ok, true); break;
    case init::SystemStateChanged::State::Stopping: break;  // stop() darkens the LEDs
  }
}

void LedModule::onConfigApplied(const runtime::ConfigApplied&) { checkPasswords(); }

void LedModule::checkPasswords() {
  if (sources_.factoryPasswordsInUse) {
    setCondition(Condition::PasswordCheck, passwordCheck_ && sources_.factoryPasswordsInUse());
  }
}

void LedModule::onLinkChanged(const net::LinkChanged& event) {
  std::string port = portOf(event.interface);
  if (port.empty()) return;
  links_[port] = event.up;
  superviseLinks();
}

void LedModule::superviseLinks() {
  for (const platform::Port& port : board_.ports) {
    auto link = links_.find(port.name);
    bool down = link != links_.end() && !link->second;
    setCondition({Condition::LinkDown, port.name}, down && supervised_.contains(port.name));
  }
}

void LedModule::onRuleRecord(const firewall::RuleRecordChanged& event) {
  if (event.removed) {
    records_.erase(event.rowid);
  } else {
    records_[event.rowid] = event.active;
  }
  refresh();
}

void LedModule::onVpnState(const ipsec::VpnStateChanged& event) {
  vpns_[event.id] = event.state;
  refresh();
}

void LedModule::onModemSignal(const ModemSignalChanged& event) {
  modem_ = event;
  refresh();
}

void LedModule::onModeButton(bool closed) {
  if (!smartMode_) return;
  TimePoint now = Clock::now();
  execute(closed ? smartMode_->pressed(now) : smartMode_->released(now));
  refresh();
}

void LedModule::execute(std::optional<SmartFunction> function) {
  if (!function) return;
  const SmartFunctionDefinition& f = smartFunction(*function);
  log_.write("led", fmt::format("smart mode: {} ({})", f.description, f.code));
  if (*function == SmartFunction::ExitWithoutChanges) return;
  Status s = sources_.smartFunction ? sources_.smartFunction(*function)
                                    : Status(Error{"not available: no service does it here yet"});
  if (!s) log_.write("led", fmt::format("smart mode: {}: {}", f.description, s.message()));
}

std::optional<Run> LedModule::signalRun(const Binding& binding, TimePoint now) const {
  if (!binding.vpn.empty()) {
    auto vpn = vpns_.find(binding.vpn);
    if (vpn == vpns_.end() || vpn->second == ipsec::VpnState::Void) return std::nullopt;
    if (vpn->second == ipsec::VpnState::Active) return Run{on(), now};
    // Being established: the blink keeps its phase from the first instant
    // the connection was seen so (a new plan every refresh must not restart it).
    return Run{blink(std::chrono::milliseconds(500), std::chrono::milliseconds(500)), TimePoint{}};
  }
  if (binding.record.empty()) return std::nullopt;
  auto record = records_.find(binding.record);
  if (record == records_.end() || !record->second) return std::nullopt;
  return Run{on(), now};
}

std::vector<LedPlan> LedModule::plansAt(TimePoint now) const {
  std::vector<LedPlan> plans = plan(conditions_, definitions_, deviations_);
  // Smart mode's mode LEDs and the modem's LEDs, over the plans of table 12-3.
  std::vector<LedPlan> over = smartMode_ ? smartMode_->modeLeds() : std::vector<LedPlan>{};
  if (board_.modem) std::ranges::move(signalPlans(modem_), std::back_inserter(over));
  for (LedPlan& p : plans) {
    auto o = std::ranges::find(over, p.led, &LedPlan::led);
    if (o != over.end()) p.runs.insert(p.runs.begin(), o->runs.begin(), o->runs.end());
  }
  for (const platform::Output& output : board_.outputs) {
    LedPlan& p = plans.emplace_back(LedPlan{output.name, {}});
    if (output.kind != platform::Output::Kind::Alarm) continue;
    for (const auto& [id, since] : conditions_.asserted()) {
      if (definition(id.condition).tier == Tier::Alarm) {
        p.runs.push_back({on(), since});
        break;
      }
    }
  }
  for (std::size_t i = 0; i < plans.size(); ++i) {
    if (auto run = signalRun(bound_[i], now)) plans[i].runs.push_back(*run);
  }
  return plans;
}

const platform::Port* LedModule::portNamed(const std::string& name) const {
  for (const platform::Port& port : board_.ports) {
    if (!name.empty() && (port.name == name || port.name8 == name || port.name10 == name)) return &port;
  }
  return nullptr;
}

std::string LedModule::portOf(const std::string& interface) const {
  for (const platform::Port& port : board_.ports) {
    if (port.interface == interface) return port.name;
  }
  return {};
}

void LedModule::refresh() {
  if (!started_) return;
  TimePoint now = Clock::now();
  if (smartMode_) execute(smartMode_->advance(now));
  if (impl_->display) {
    std::string text = *display();
    if (impl_->shown != text) {
      Status s = impl_->display->show(text);
      if (!s) log_.write("led", s.message());
      impl_->shown = text;
    }
  }
  std::vector<LedPlan> plans = plansAt(now);
  Frame frame = frameAt(plans, now);
  // The plans of the LEDs the timer switches (not those blinking in the kernel).
  std::vector<LedPlan> timed;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    Impl::Device& d = impl_->devices[i];
    const Run* run = shownRun(plans[i], now);
    if (run && handable(run->pattern)) {
      std::pair key{run->pattern.name, run->start};
      if (d.handed == key) continue;
      auto handed = d.device->blink(run->pattern.cycle[0].length, run->pattern.cycle[1].length);
      if (handed && *handed) {
        d.handed = key;
        d.level.reset();
        continue;
      }
    }
    timed.push_back(plans[i]);
    bool on = frame.leds[i].on;
    if (d.level == on && !d.handed) continue;
    Status s = d.device->set(on);
    if (s) {
      d.level = on;
      d.handed.reset();
      if (d.failing) log_.write("led", fmt::format("{} works again", plans[i].led));
    } else if (!d.failing) {
      log_.write("led", s.message());
    }
    d.failing = !s;
  }
  publishPatterns(frame);
  impl_->timer.cancel();
  std::optional<TimePoint> next = frameAt(timed, now).next;
  if (auto due = smartMode_ ? smartMode_->deadline() : std::nullopt; due && (!next || *due < *next)) next = due;
  if (!next) return;
  impl_->timer.expires_at(*next);
  impl_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) refresh();
  });
}

void LedModule::publishPatterns(const Frame& frame) {
  std::vector<std::string> patterns;
  for (const LedState& s : frame.leds) patterns.push_back(s.pattern);
  std::optional<std::string> shown = display();
  if (shown) patterns.push_back("display " + *shown);
  if (patterns == published_) return;
  published_ = std::move(patterns);
  auto split = frame.leds.begin() + static_cast<std::ptrdiff_t>(definitions_.size());
  bus_.publish(LedsChanged{{frame.leds.begin(), split}, {split, frame.leds.end()}, std::move(shown)});
}

std::vector<LedState> LedModule::leds() const {
  TimePoint now = Clock::now();
  std::vector<LedState> states = frameAt(plansAt(now), now).leds;
  states.resize(definitions_.size());
  return states;
}

std::vector<LedState> LedModule::outputs() const {
  TimePoint now = Clock::now();
  std::vector<LedState> states = frameAt(plansAt(now), now).leds;
  states.erase(states.begin(), states.begin() + static_cast<std::ptrdiff_t>(definitions_.size()));
  return states;
}

namespace {

nlohmann::json listed(const std::vector<LedState>& states) {
  nlohmann::json list = nlohmann::json::array();
  for (const LedState& s : states) list.push_back({{"name", s.led}, {"pattern", s.pattern}, {"on", s.on}});
  return list;
}

nlohmann::json refusal(const std::string& error) { return {{"ok", false}, {"error", error}}; }

}  // namespace

std::optional<std::string> LedModule::display() const {
  if (!board_.display) return std::nullopt;
  return sevenSegment(smartMode(), conditions_);
}

std::string LedModule::handleCtlRequest() const {
  nlohmann::json inputs = nlohmann::json::array();
  for (const Impl::Contact& contact : impl_->contacts) {
    inputs.push_back({{"name", contact.name}, {"closed", contact.closed}});
  }
  nlohmann::json answer{{"ok", true}, {"leds", listed(leds())}, {"outputs", listed(outputs())}, {"inputs", inputs}};
  if (auto text = display()) answer["display"] = *text;
  return answer.dump();
}

std::string LedModule::handleInputRequest(const std::string& request) {
  nlohmann::json doc = nlohmann::json::parse(request, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc["name"].is_string() || !doc["closed"].is_boolean()) {
    return refusal("malformed input request: {\"ctl\": \"input\", \"name\": NAME, \"closed\": true|false}").dump();
  }
  if (Status s = simulatedInputs_.set(doc["name"].get<std::string>(), doc["closed"].get<bool>()); !s) {
    return refusal(s.message()).dump();
  }
  return nlohmann::json{{"ok", true}}.dump();
}

}  // namespace bulwark::led
