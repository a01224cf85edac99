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
                               std::filesystem::path procSys)
    : io_(io), log_(log), interfaces_(interfacesOf(board)), procSys_(std::move(procSys)) {
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
  return s;
}

Status FirewallModule::loadLogins(const std::vector<State::Login>& logins) {
  State next = state();
  next.logins = logins;
  auto chain = userFirewall(*config_, next);
  if (!chain) return Error{chain.error()};
  Ruleset patch;
  patch.table = inForce_.table;
  patch.chains.push_back(std::move(*chain));
  if (Status s = replaceChain(patch, kUserFirewall); !s) return s;
  if (Chain* users = inForce_.chain(kUserFirewall)) *users = patch.chains.front();
  return {};
}

Result<std::int64_t> FirewallModule::login(const std::string& user, const std::string& address) {
  if (!enabled_ || !loaded_) return Error{"The packet filter is not in force on this device."};
  auto ip = parseIpv4(address);
  if (!ip) return Error{fmt::format("'{}' is not an IPv4 address.", address)};
  // The user's templates decide the timeout; without one there is nothing to open.
  bool listed = false;
  long timeout = 0;  // the shortest; 0: none
  const config::Value* templates = config_->find("USERFW_TEMPLATE");
  for (const config::Row& tmpl : templates ? templates->rows : kNoRows) {
    auto users = tmpl.fields.find("TEMPLATE_USERS");
    bool mine = false;
    for (const config::Row& row : users == tmpl.fields.end() ? kNoRows : users->second.rows) {
      mine = mine || field(row, "USERNAME") == user;
    }
    if (!mine || field(tmpl, "TEMPLATE_ENABLED") != "yes") continue;
    listed = true;
    long t = std::strtol(field(tmpl, "TEMPLATE_TIMEOUT").c_str(), nullptr, 10);
    if (t > 0 && (timeout == 0 || t < timeout)) timeout = t;
  }
  if (!listed) return Error{fmt::format("No enabled user firewall template lists the firewall user {}.", user)};
  std::vector<State::Login> next = state().logins;
  auto same = [&](const auto& l) { return l.user == user && l.address == *ip; };
  if (std::none_of(next.begin(), next.end(), same)) next.push_back({user, *ip});
  if (Status s = loadLogins(next); !s) return Error{s.message()};
  auto it = std::find_if(logins_.begin(), logins_.end(), same);
  if (it == logins_.end()) {
    logins_.push_back({user, *ip, 0, nullptr});
    it = std::prev(logins_.end());
  }
  it->expires = timeout > 0 ? secondsNow() + timeout : 0;
  it->timer.reset();
  if (timeout > 0) {
    it->timer = std::make_unique<boost::asio::steady_timer>(io_, std::chrono::seconds(timeout));
    it->timer->async_wait([this, user, address](const boost::system::error_code& ec) {
      if (ec) return;
      if (Status s = logout(user, address); !s) log_.write("firewall", s.message());
    });
  }
  return it->expires;
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
  logins_.erase(it);
  log_.write("Webinterface", fmt::format("Logout for firewall user '{}' from {}", user, address));
  return {};
}

std::vector<FirewallModule::LoginStatus> FirewallModule::logins() const {
  std::vector<LoginStatus> out;
  for (const Login& l : logins_) out.push_back({l.user, ipv4Text(l.address), l.expires});
  return out;
}

Status FirewallModule::apply(const config::Config& config, const State& state) {
  auto ruleset = compile(config, interfaces_, state);
  if (!ruleset) return Error{fmt::format("packet filter: {}", ruleset.error())};
  if (loaded_ && *ruleset == inForce_) return {};
  if (Status s = load(*ruleset); !s) return s;
  std::size_t rules = 0, elements = 0;
  for (const Chain& c : ruleset->chains) rules += c.rules.size();
  for (const Set& set : ruleset->sets) elements += set.elements.size();
  log_.write("firewall", ruleset->sets.empty()
                             ? fmt::format("packet filter loaded: {} chains, {} rules", ruleset->chains.size(), rules)
                             : fmt::format("packet filter loaded: {} chains, {} rules, {} sets of {} elements",
                                           ruleset->chains.size(), rules, ruleset->sets.size(), elements));
  if (!loaded_) {
    std::ofstream forward(procSys_ / "net/ipv4/ip_forward");
    forward << "1\n";
    if (!forward.flush()) log_.write("firewall", "cannot switch IPv4 forwarding on");
  }
  loaded_ = true;
  inForce_ = std::move(*ruleset);
  return {};
}

std::map<std::string, FirewallModule::Record> FirewallModule::recordsFor(const config::Config& config) {
  std::map<std::string, Record> next;
  const config::Value* table = config.find("FW_RULESETS");
  for (const config::Row& row : table ? table->rows : kNoRows) {
    auto old = records_.find(row.id);
    if (old != records_.end() && old->second.row == row) {
      Record& kept = next[row.id];
      kept.row = row;
      kept.active = old->second.active;
      kept.expires = old->second.expires;
      continue;
    }
    Record& fresh = next[row.id];
    fresh.row = row;
    fresh.active = field(row, "INITIAL_STATE") == "active";
  }
  return next;
}

// Starts the expiry of an active record with a TIMEOUT (once: an expiry
// already running goes on).
void FirewallModule::arm(const std::string& rowid, Record& record) {
  long timeout = std::strtol(field(record.row, "TIMEOUT").c_str(), nullptr, 10);
  if (!record.active || timeout <= 0) {
    record.expires = 0;
    record.timer.reset();
    return;
  }
  if (record.expires == 0) record.expires = secondsNow() + timeout;
  record.timer = std::make_unique<boost::asio::steady_timer>(io_);
  record.timer->expires_after(std::chrono::seconds(std::max<std::int64_t>(0, record.expires - secondsNow())));
  record.timer->async_wait([this, rowid](const boost::system::error_code& ec) {
    if (ec) return;
    if (Status s = switchRecord(rowid, false, "expired"); !s) log_.write("firewall", s.message());
  });
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
  }
  record.expires = 0;  // activating again starts the timeout anew
  arm(rowid, record);
  log_.write("firewall", fmt::format("rule record \"{}\" ({}) {}{}", name, rowid, active ? "active" : "inactive",
                                     why.empty() ? "" : ": " + why));
  return {};
}

Status FirewallModule::setRecord(const std::string& name, const std::string& rowid, bool active) {
  if (!enabled_ || !loaded_) return Error{"The packet filter is not in force on this device."};
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
  for (auto& [rowid, record] : records_) arm(rowid, record);
  // At start a refusal is logged, not fatal: the appliance stays reachable
  // from the internal side, and does not route.
  if (Status s = apply(*snapshot, state()); !s) log_.write("firewall", s.message() + "; IPv4 forwarding stays off");
  return {};
}

Status FirewallModule::reconfigure(const config::Snapshot& snapshot, const config::Diff&) {
  if (!enabled_) return {};
  std::map<std::string, Record> next = recordsFor(*snapshot);
  State nextState;
  nextState.logins = state().logins;  // logins outlive a change
  for (const auto& [rowid, record] : next) {
    if (record.active) nextState.activeRecords.insert(rowid);
  }
  if (Status s = apply(*snapshot, nextState); !s) return s;  // the same ruleset: nothing loaded
  config_ = snapshot;
  records_ = std::move(next);
  for (auto& [rowid, record] : records_) arm(rowid, record);
  return {};
}

void FirewallModule::stop() {
  logReader_.reset();
  for (auto& [rowid, record] : records_) record.timer.reset();
  for (Login& l : logins_) l.timer.reset();
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
