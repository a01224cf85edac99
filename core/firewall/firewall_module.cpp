#include "firewall/firewall_module.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "common/ipv4.hpp"
#include "firewall/nft_backend.hpp"

namespace bulwark::firewall {

Interfaces interfacesOf(const platform::Board& board) {
  Interfaces ifs;
  for (const platform::Port& port : board.ports) {
    if (port.role == platform::Port::Role::External && ifs.external.empty()) ifs.external = port.interface;
    if (port.role == platform::Port::Role::Internal && ifs.internal.empty()) ifs.internal = port.interface;
    if (port.role == platform::Port::Role::Dmz && ifs.dmz.empty()) ifs.dmz = port.interface;
  }
  return ifs;
}

FirewallModule::FirewallModule(boost::asio::io_context& io, const platform::Board& board, log::Log& log,
                               runtime::EventBus* bus, std::filesystem::path procSys)
    : io_(io), log_(log), bus_(bus), interfaces_(interfacesOf(board)), procSys_(std::move(procSys)) {
  if (bus_) bus_->subscribe<ipsec::VpnStateChanged>(std::bind_front(&FirewallModule::onVpnState, this));
  enabled_ = !interfaces_.external.empty() && !interfaces_.internal.empty();
}

namespace {

std::string field(const config::Row& row, const char* name) {
  auto it = row.fields.find(name);
  return it == row.fields.end() ? std::string() : it->second.text;
}

const std::vector<config::Row> kNoRows;

std::int64_t secondsNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

State FirewallModule::state() const {
  State s;
  for (const auto& [rowid, record] : records_) {
    if (record.active) s.activeRecords.insert(rowid);
  }
  for (const Login& l : logins_) s.logins.push_back({l.user, l.address});
  s.startedVpns = startedVpns_;
  return s;
}

void FirewallModule::onVpnState(const ipsec::VpnStateChanged& event) {
  bool started = event.state != ipsec::VpnState::Void;
  if (started == startedVpns_.contains(event.id)) return;
  if (started) {
    startedVpns_.insert(event.id);
  } else {
    startedVpns_.erase(event.id);
  }
  if (!enabled_ || !forwarding_ || !config_) return;
  if (Status s = apply(*config_, state()); !s) log_.write("firewall", s.message());
}

namespace {

// The password hash of firewall user `user` ("" when there is none).
std::string passwordOf(const config::Config& config, const std::string& user) {
  const config::Value* users = config.find("USERFW_USERS");
  for (const config::Row& row : users ? users->rows : kNoRows) {
    if (field(row, "USERNAME") == user) return field(row, "PASSWORD");
  }
  return {};
}

// What the enabled templates listing `user` grant: whether any does, the
// shortest TEMPLATE_TIMEOUT (0: none) and whether that one counts from the
// last packet ("dynamic"). Templates bound to a VPN connection open
// nothing yet, so they grant nothing.
struct Grant {
  bool listed = false;
  long timeout = 0;
  bool dynamic = false;
};

Grant grantOf(const config::Config& config, const std::string& user) {
  Grant g;
  const config::Value* templates = config.find("USERFW_TEMPLATE");
  for (const config::Row& tmpl : templates ? templates->rows : kNoRows) {
    if (!templateListsUser(tmpl, user) || field(tmpl, "TEMPLATE_ENABLED") != "yes" ||
        !field(tmpl, "VPN_CONN_REF").empty()) {
      continue;
    }
    g.listed = true;
    long t = std::strtol(field(tmpl, "TEMPLATE_TIMEOUT").c_str(), nullptr, 10);
    if (t > 0 && (g.timeout == 0 || t < g.timeout)) {
      g.timeout = t;
      g.dynamic = field(tmpl, "TEMPLATE_TOUT_TYPE") == "dynamic";
    }
  }
  return g;
}

}  // namespace

Status FirewallModule::loadLogins(const std::vector<State::Login>& logins) {
  State next = state();
  next.logins = logins;
  std::vector<std::size_t> owners;
  auto chain = userFirewall(*config_, next, &owners);
  if (!chain) return Error{chain.error()};
  Ruleset patch;
  patch.table = inForce_.table;
  patch.chains.push_back(std::move(*chain));
  if (Status s = replaceChain(patch, kUserFirewall); !s) return s;
  if (Chain* users = inForce_.chain(kUserFirewall)) *users = patch.chains.front();
  owners_ = std::move(owners);
  for (Login& l : logins_) l.packets = 0;  // the new rules count from zero
  return {};
}

Result<std::int64_t> FirewallModule::login(const std::string& user, const std::string& address) {
  if (!enabled_ || !forwarding_) return Error{"The packet filter is not in force on this device."};
  auto ip = parseIpv4(address);
  if (!ip) return Error{fmt::format("'{}' is not an IPv4 address.", address)};
  Grant grant = grantOf(*config_, user);
  if (!grant.listed) return Error{fmt::format("No enabled user firewall template lists the firewall user {}.", user)};
  auto same = [&](const auto& l) { return l.user == user && l.address == *ip; };
  if (std::none_of(logins_.begin(), logins_.end(), same)) {
    if (logins_.size() >= kMaxLogins) return Error{"Too many firewall users are logged in."};
    std::vector<State::Login> next = state().logins;
    next.push_back({user, *ip});
    if (Status s = loadLogins(next); !s) return Error{s.message()};
    Login fresh;
    fresh.user = user;
    fresh.address = *ip;
    logins_.push_back(std::move(fresh));
  }
  Login& l = *std::find_if(logins_.begin(), logins_.end(), same);
  l.password = passwordOf(*config_, user);
  l.timeout = grant.timeout;
  l.dynamic = grant.dynamic;
  l.since = std::chrono::steady_clock::now();
  l.lastActive = l.since;
  return expiresOf(l);
}

std::int64_t FirewallModule::expiresOf(const Login& l) const {
  if (l.timeout <= 0) return 0;
  auto left = (l.dynamic ? l.lastActive : l.since) + std::chrono::seconds(l.timeout) - std::chrono::steady_clock::now();
  return secondsNow() + std::chrono::duration_cast<std::chrono::seconds>(left).count();
}

Status FirewallModule::logout(const std::string& user, const std::string& address) {
  auto ip = parseIpv4(address);
  auto same = [&](const auto& l) { return ip && l.user == user && l.address == *ip; };
  auto it = std::find_if(logins_.begin(), logins_.end(), same);
  if (it == logins_.end()) {
    return Error{fmt::format("The firewall user {} is not logged in from {}.", user, address)};
  }
  std::vector<State::Login> next;
  for (const Login& l : logins_) {
    if (!same(l)) next.push_back({l.user, l.address});
  }
  if (Status s = loadLogins(next); !s) return s;
  logins_.erase(std::find_if(logins_.begin(), logins_.end(), same));
  log_.write("Webinterface", fmt::format("Logout for firewall user '{}' from {}", user, address));
  return {};
}

std::vector<FirewallModule::LoginStatus> FirewallModule::logins() const {
  std::vector<LoginStatus> out;
  for (const Login& l : logins_) out.push_back({l.user, ipv4Text(l.address), expiresOf(l)});
  return out;
}

// Once a second: activity of the logins with an inactivity timeout (from
// the rules' counters, every few seconds), then whatever is due: records
// that expire, logins that end. A switch the kernel refuses is tried again
// on the next tick.
void FirewallModule::tick() {
  auto now = std::chrono::steady_clock::now();
  bool dynamic = std::any_of(logins_.begin(), logins_.end(), [](const Login& l) { return l.dynamic; });
  if (dynamic && ++ticks_ % kActivityTicks == 0) {
    auto counted = ruleCounters(inForce_.table, kUserFirewall);
    if (counted && counted->size() == owners_.size()) {
      std::vector<std::uint64_t> perLogin(logins_.size(), 0);
      for (std::size_t i = 0; i < owners_.size(); ++i) {
        if (owners_[i] < perLogin.size()) perLogin[owners_[i]] += (*counted)[i];
      }
      for (std::size_t i = 0; i < logins_.size(); ++i) {
        if (perLogin[i] > logins_[i].packets) {
          logins_[i].packets = perLogin[i];
          logins_[i].lastActive = now;
        }
      }
    }
  }
  std::vector<std::string> dueRecords;
  for (const auto& [rowid, record] : records_) {
    if (record.active && record.deadline && now >= *record.deadline) dueRecords.push_back(rowid);
  }
  for (const std::string& rowid : dueRecords) {
    if (Status s = switchRecord(rowid, false, "expired"); !s) log_.write("firewall", s.message() + "; tried again");
  }
  std::vector<std::pair<std::string, std::string>> dueLogins;
  for (const Login& l : logins_) {
    if (l.timeout > 0 && now >= (l.dynamic ? l.lastActive : l.since) + std::chrono::seconds(l.timeout)) {
      dueLogins.push_back({l.user, ipv4Text(l.address)});
    }
  }
  for (const auto& [user, address] : dueLogins) {
    if (Status s = logout(user, address); !s) log_.write("firewall", s.message() + "; tried again");
  }
  sweep_->expires_after(std::chrono::seconds(1));
  sweep_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

Status FirewallModule::apply(const config::Config& config, const State& state) {
  auto ruleset = compile(config, interfaces_, state);
  if (!ruleset) return Error{fmt::format("packet filter: {}", ruleset.error())};
  if (forwarding_ && *ruleset == inForce_) return {};
  if (Status s = load(*ruleset); !s) return s;
  std::size_t rules = 0, elements = 0;
  for (const Chain& c : ruleset->chains) rules += c.rules.size();
  for (const Set& set : ruleset->sets) elements += set.elements.size();
  log_.write("firewall", ruleset->sets.empty()
                             ? fmt::format("packet filter loaded: {} chains, {} rules", ruleset->chains.size(), rules)
                             : fmt::format("packet filter loaded: {} chains, {} rules, {} sets of {} elements",
                                           ruleset->chains.size(), rules, ruleset->sets.size(), elements));
  if (!forwarding_) {
    std::ofstream forward(procSys_ / "net/ipv4/ip_forward");
    forward << "1\n";
    if (!forward.flush()) log_.write("firewall", "cannot switch IPv4 forwarding on");
  }
  forwarding_ = true;
  inForce_ = std::move(*ruleset);
  if (auto tunnels = vpnTunnels(config); tunnels && logReader_) logReader_->setTunnels(std::move(*tunnels));
  // The user firewall's rules are new: their counters start from zero.
  (void)userFirewall(config, state, &owners_);
  for (Login& l : logins_) l.packets = 0;
  return {};
}

std::map<std::string, FirewallModule::Record> FirewallModule::recordsFor(const config::Config& config) const {
  std::map<std::string, Record> next;
  const config::Value* table = config.find("FW_RULESETS");
  for (const config::Row& row : table ? table->rows : kNoRows) {
    auto old = records_.find(row.id);
    if (old != records_.end() && old->second.row == row) {
      next[row.id] = old->second;
      continue;
    }
    Record& fresh = next[row.id];
    fresh.row = row;
    fresh.active = field(row, "INITIAL_STATE") == "active";
  }
  return next;
}

// Starts the expiry of an active record with a TIMEOUT (once: an expiry
// already running goes on); an inactive one has none.
void FirewallModule::arm(Record& record) {
  long timeout = std::strtol(field(record.row, "TIMEOUT").c_str(), nullptr, 10);
  if (!record.active || timeout <= 0) {
    record.expires = 0;
    record.deadline.reset();
    return;
  }
  if (record.deadline) return;
  record.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  record.expires = secondsNow() + timeout;
}

Status FirewallModule::switchRecord(const std::string& rowid, bool active, const std::string& why) {
  auto it = records_.find(rowid);
  if (it == records_.end()) return Error{fmt::format("No firewall rule record has the row id {}.", rowid)};
  Record& record = it->second;
  std::string name = field(record.row, "FRIENDLY_NAME");
  if (record.active != active) {
    State next = state();
    if (active) {
      next.activeRecords.insert(rowid);
    } else {
      next.activeRecords.erase(rowid);
    }
    Ruleset patch;
    patch.table = inForce_.table;
    patch.chains.push_back(recordDispatch(*config_, next));
    if (Status s = replaceChain(patch, kRecordDispatch); !s) {
      return Error{fmt::format("The rule record {} stays {}: {}", name, record.active ? "active" : "inactive",
                               s.message())};
    }
    if (Chain* dispatch = inForce_.chain(kRecordDispatch)) *dispatch = patch.chains.front();
    record.active = active;
    if (bus_) bus_->publish(RuleRecordChanged{rowid, active});
  }
  record.deadline.reset();  // activating again starts the timeout anew
  arm(record);
  log_.write("firewall", fmt::format("rule record \"{}\" ({}) {}{}", name, rowid, active ? "active" : "inactive",
                                     why.empty() ? "" : ": " + why));
  return {};
}

void FirewallModule::publishRecords(const std::map<std::string, Record>& before) {
  if (!bus_) return;
  for (const auto& [rowid, record] : before) {
    if (!records_.contains(rowid)) bus_->publish(RuleRecordChanged{rowid, false, true});
  }
  for (const auto& [rowid, record] : records_) {
    auto old = before.find(rowid);
    if (old == before.end() || old->second.active != record.active) bus_->publish(RuleRecordChanged{rowid, record.active});
  }
}

Status FirewallModule::setRecord(const std::string& name, const std::string& rowid, bool active) {
  if (!enabled_ || !forwarding_) return Error{"The packet filter is not in force on this device."};
  for (const auto& [id, record] : records_) {
    if (name.empty() ? id == rowid : field(record.row, "FRIENDLY_NAME") == name) {
      return switchRecord(id, active, "");
    }
  }
  return Error{name.empty() ? fmt::format("No firewall rule record has the row id {}.", rowid)
                            : fmt::format("No firewall rule record is named {}.", name)};
}

std::vector<FirewallModule::RecordStatus> FirewallModule::records(const std::string& name) const {
  std::vector<RecordStatus> out;
  const config::Value* table = config_ ? config_->find("FW_RULESETS") : nullptr;
  for (const config::Row& row : table ? table->rows : kNoRows) {
    auto it = records_.find(row.id);
    if (it == records_.end() || (name != "*" && field(row, "FRIENDLY_NAME") != name)) continue;
    out.push_back({row.id, it->second.active, it->second.expires});
  }
  return out;
}

Status FirewallModule::start(const config::Snapshot& snapshot) {
  if (!enabled_) return {};
  auto reader = NflogReader::open(io_, log_, kLogGroup);
  if (reader) {
    logReader_ = std::move(*reader);
  } else {
    log_.write("firewall", fmt::format("no packet log: {}", reader.error()));
  }
  config_ = snapshot;
  records_ = recordsFor(*snapshot);
  for (auto& [rowid, record] : records_) arm(record);
  publishRecords({});
  // At start a refusal is logged, not fatal: the factory default's filter
  // (nothing reachable from outside) holds instead, and the appliance does
  // not route.
  if (Status s = apply(*snapshot, state()); !s) {
    log_.write("firewall", s.message() + "; IPv4 forwarding stays off");
    auto fallback = compile(config::factoryDefault(config::Schema::builtin()), interfaces_);
    if (fallback && load(*fallback)) {
      inForce_ = std::move(*fallback);
      log_.write("firewall", "packet filter: the factory default's filter is in force instead");
    }
  }
  sweep_ = std::make_unique<boost::asio::steady_timer>(io_);
  tick();
  return {};
}

Status FirewallModule::reconfigure(const config::Snapshot& snapshot, const config::Diff&) {
  if (!enabled_) return {};
  // A rollback (the previous configuration again) brings the records'
  // states back as they were before the change.
  bool rollback = previous_ && snapshot == previous_;
  std::map<std::string, Record> next = rollback ? previousRecords_ : recordsFor(*snapshot);
  if (rollback) {
    for (auto& [rowid, record] : next) {
      auto now = records_.find(rowid);
      if (now != records_.end() && now->second.row == record.row) record = now->second;
    }
  }
  // Logins end where the user, their password or their last template went.
  std::vector<std::size_t> ending;
  for (std::size_t i = 0; i < logins_.size(); ++i) {
    const Login& l = logins_[i];
    Grant grant = grantOf(*snapshot, l.user);
    if (!grant.listed || passwordOf(*snapshot, l.user) != l.password) ending.push_back(i);
  }
  State nextState;
  for (std::size_t i = 0; i < logins_.size(); ++i) {
    if (std::find(ending.begin(), ending.end(), i) == ending.end()) {
      nextState.logins.push_back({logins_[i].user, logins_[i].address});
    }
  }
  for (const auto& [rowid, record] : next) {
    if (record.active) nextState.activeRecords.insert(rowid);
  }
  nextState.startedVpns = startedVpns_;
  if (Status s = apply(*snapshot, nextState); !s) return s;  // the same ruleset: nothing loaded
  previous_ = config_;
  previousRecords_ = records_;
  config_ = snapshot;
  records_ = std::move(next);
  for (auto& [rowid, record] : records_) arm(record);
  publishRecords(previousRecords_);
  for (auto i = ending.rbegin(); i != ending.rend(); ++i) {
    log_.write("Webinterface",
               fmt::format("Logout for firewall user '{}' from {}", logins_[*i].user, ipv4Text(logins_[*i].address)));
    logins_.erase(logins_.begin() + static_cast<std::ptrdiff_t>(*i));
  }
  (void)userFirewall(*config_, state(), &owners_);
  for (Login& l : logins_) {
    Grant grant = grantOf(*config_, l.user);  // a shorter timeout counts at once
    l.timeout = grant.timeout;
    l.dynamic = grant.dynamic;
  }
  return {};
}

void FirewallModule::stop() {
  logReader_.reset();
  sweep_.reset();
}

std::string recordStatusText(const std::vector<FirewallModule::RecordStatus>& records) {
  std::string out;
  for (const auto& r : records) {
    out += fmt::format("/fwrules/{}/expires={}\n/fwrules/{}/state={}\n", r.rowid, r.expires, r.rowid,
                       r.active ? "active" : "inactive");
  }
  return out;
}

}  // namespace bulwark::firewall
