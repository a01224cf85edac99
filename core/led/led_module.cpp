#include "led/led_module.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bulwark::led {

namespace {

std::optional<Role> roleOf(const std::string& role) {
  if (role == "stat") return Role::Stat;
  if (role == "mod") return Role::Mod;
  if (role == "info2") return Role::Info2;
  if (role == "err") return Role::Err;
  if (role == "fault") return Role::Fault;
  return std::nullopt;
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
  explicit Impl(boost::asio::io_context& io) : timer(io) {}

  struct Device {
    std::unique_ptr<platform::LedDevice> device;
    std::optional<bool> level;  // as last set; nullopt: not set yet
    // The run handed to the backend as a blink (its pattern's name and start).
    std::optional<std::pair<std::string, TimePoint>> handed;
    bool failing = false;  // the last write failed (logged once until it works again)
  };

  boost::asio::steady_timer timer;
  std::vector<Device> devices;  // in the board's order
};

LedModule::LedModule(boost::asio::io_context& io, runtime::EventBus& bus, log::Log& log,
                     const platform::Board& board, Sources sources, platform::DevicePaths paths)
    : impl_(std::make_unique<Impl>(io)),
      bus_(bus),
      log_(log),
      board_(board),
      sources_(std::move(sources)),
      paths_(std::move(paths)) {
  for (const platform::Led& led : board_.leds) definitions_.push_back({led.name, roleOf(led.role)});
  boundRecords_.resize(definitions_.size());
  bus_.subscribe<init::SystemStateChanged>(std::bind_front(&LedModule::onSystemState, this));
  bus_.subscribe<runtime::ConfigApplied>(std::bind_front(&LedModule::onConfigApplied, this));
  bus_.subscribe<net::LinkChanged>(std::bind_front(&LedModule::onLinkChanged, this));
  bus_.subscribe<firewall::RuleRecordChanged>(std::bind_front(&LedModule::onRuleRecord, this));
}

LedModule::~LedModule() = default;

Status LedModule::start(const config::Snapshot& snapshot) {
  configure(snapshot);
  for (const platform::Led& led : board_.leds) {
    auto device = platform::openLed(led, paths_, simulated_);
    if (!device) {
      log_.write("led", fmt::format("{}; it is simulated instead", device.error()));
      device = platform::simulatedLed(simulated_, led.name);
    }
    impl_->devices.push_back({std::move(*device)});
  }
  started_ = true;
  checkPasswords();
  if (sources_.carrier) {
    for (const platform::Port& port : board_.ports) {
      if (sources_.carrier(port.interface) == false) setCondition({Condition::LinkDown, portOf(port.interface)}, true);
    }
  }
  refresh();
  return {};
}

Status LedModule::reconfigure(const config::Snapshot& snapshot, const config::Diff&) {
  configure(snapshot);
  refresh();
  return {};
}

void LedModule::configure(const config::Snapshot& snapshot) {
  for (std::size_t i = 0; i < definitions_.size(); ++i) {
    const char* variable = definitions_[i].name == "INFO1"         ? "INFO1_FW_RULESET_REF"
                           : definitions_[i].role == Role::Info2 ? "INFO2_FW_RULESET_REF"
                                                                 : nullptr;
    boundRecords_[i] = snapshot && variable ? snapshot->get(variable) : std::string();
  }
}

void LedModule::stop() {
  impl_->timer.cancel();
  for (Impl::Device& d : impl_->devices) {
    if (Status s = d.device->set(false); !s) log_.write("led", s.message());
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
  if (sources_.factoryPasswordsInUse) setCondition(Condition::PasswordCheck, sources_.factoryPasswordsInUse());
}

void LedModule::onLinkChanged(const net::LinkChanged& event) {
  std::string port = portOf(event.interface);
  if (port.empty()) return;
  setCondition({Condition::LinkDown, port}, !event.up);
}

void LedModule::onRuleRecord(const firewall::RuleRecordChanged& event) {
  if (event.removed) {
    records_.erase(event.rowid);
  } else {
    records_[event.rowid] = event.active;
  }
  refresh();
}

std::optional<Run> LedModule::signalRun(const std::string& rowid, TimePoint now) const {
  if (rowid.empty()) return std::nullopt;
  auto record = records_.find(rowid);
  if (record == records_.end() || !record->second) return std::nullopt;
  return Run{on(), now};
}

std::vector<LedPlan> LedModule::plansAt(TimePoint now) const {
  std::vector<LedPlan> plans = plan(conditions_, definitions_);
  for (std::size_t i = 0; i < plans.size(); ++i) {
    if (auto run = signalRun(boundRecords_[i], now)) plans[i].runs.push_back(*run);
  }
  return plans;
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
      if (d.failing) log_.write("led", fmt::format("LED {} works again", definitions_[i].name));
    } else if (!d.failing) {
      log_.write("led", s.message());
    }
    d.failing = !s;
  }
  impl_->timer.cancel();
  std::optional<TimePoint> next = frameAt(timed, now).next;
  if (!next) return;
  impl_->timer.expires_at(*next);
  impl_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) refresh();
  });
}

std::vector<LedState> LedModule::leds() const {
  TimePoint now = Clock::now();
  return frameAt(plansAt(now), now).leds;
}

std::string LedModule::handleCtlRequest() const {
  nlohmann::json list = nlohmann::json::array();
  for (const LedState& led : leds()) list.push_back({{"name", led.led}, {"pattern", led.pattern}, {"on", led.on}});
  return nlohmann::json{{"ok", true}, {"leds", list}}.dump();
}

}  // namespace bulwark::led
