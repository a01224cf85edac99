// The packet filter in the core: compiles the configuration (compiler.hpp)
// at start and after every change, and loads the result (nft_backend.hpp)
// when it differs from what is in force. A change the compiler or the kernel
// refuses is refused: the configuration transaction rolls back and the
// previous ruleset stays. IPv4 forwarding is switched on only once a ruleset
// is in force (fail closed: without a filter the appliance does not route).
// The lines of logged packets come from NFLOG (nflog.hpp).
// Rule records (FW_RULESETS) start in their INITIAL_STATE (again whenever
// their row changes) and are switched at run time (nph-action.cgi
// fwrules/active|inactive) by replacing only the dispatch chain; an active
// record with a TIMEOUT deactivates itself when it expires. Boards without
// an external and an internal port (sim) leave the host's packet filter
// alone.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "board.hpp"
#include "firewall/compiler.hpp"
#include "firewall/nflog.hpp"
#include "firewall/rule_record_event.hpp"
#include "log/log.hpp"
#include "runtime/event_bus.hpp"
#include "vpn/ipsec/ipsec_service.hpp"
#include "runtime/module.hpp"

namespace bulwark::firewall {

// The kernel names of the board's external, internal and DMZ ports.
Interfaces interfacesOf(const platform::Board& board);

class FirewallModule final : public runtime::Module {
 public:
  // `procSys`: where ip_forward lives (/proc/sys; tests may point elsewhere);
  // `bus`: where the records' states are published (none: not published).
  FirewallModule(boost::asio::io_context& io, const platform::Board& board, log::Log& log,
                 runtime::EventBus* bus, std::filesystem::path procSys = "/proc/sys");
  std::string_view name() const override { return "firewall"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override;

  // A rule record's state for nph-status.cgi?path=/fwrules.
  struct RecordStatus {
    std::string rowid;
    bool active = false;
    std::int64_t expires = 0;  // seconds since 1970; 0: never
  };
  // Switches the record named `name` (FRIENDLY_NAME) or, with `name`
  // empty, the one with ROWID `rowid`. The error says why nothing changed.
  Status setRecord(const std::string& name, const std::string& rowid, bool active);
  // The records named `name` ("*": all), in table order.
  std::vector<RecordStatus> records(const std::string& name) const;
  bool enabled() const { return enabled_; }

  // The user firewall: `user`, already authenticated, logs in from
  // `address`; the rules of their templates open for it at once (only the
  // user firewall's chain changes). The login ends after the shortest
  // TEMPLATE_TIMEOUT of those templates (from the login, or for "dynamic"
  // from the last packet through its rules, read from their counters every
  // few seconds), by logout(), by nph-action.cgi?action=userfw/logout, or
  // when a change removes the user, their password or their templates. The
  // result: when it ends (seconds since 1970; 0: no timeout).
  Result<std::int64_t> login(const std::string& user, const std::string& address);
  Status logout(const std::string& user, const std::string& address);
  struct LoginStatus {
    std::string user, address;
    std::int64_t expires = 0;
  };
  std::vector<LoginStatus> logins() const;

 private:
  struct Record {
    config::Row row;  // as configured, to see changes
    bool active = false;
    std::int64_t expires = 0;  // seconds since 1970, for nph-status
    std::optional<std::chrono::steady_clock::time_point> deadline;
  };
  struct Login {
    std::string user;
    std::uint32_t address = 0;
    std::string password;  // the hash at login: a new one ends the login
    long timeout = 0;      // seconds; 0: none
    bool dynamic = false;  // counted from the last packet, not from the login
    std::chrono::steady_clock::time_point since, lastActive;
    std::uint64_t packets = 0;  // the login's rules' packets when last read
  };
  static constexpr std::size_t kMaxLogins = 256;
  static constexpr unsigned kActivityTicks = 5;  // counters read every 5 s

  Status apply(const config::Config& config, const State& state);
  State state() const;
  // A connection started or stopped at run time: the ruleset follows.
  void onVpnState(const ipsec::VpnStateChanged& event);
  // The records of `config`, kept where their rows did not change.
  std::map<std::string, Record> recordsFor(const config::Config& config) const;
  void arm(Record& record);
  Status switchRecord(const std::string& rowid, bool active, const std::string& why);
  // Publishes the records whose state differs between `before` and records_.
  void publishRecords(const std::map<std::string, Record>& before);
  // Loads the user firewall's chain for `logins`; the error changes nothing.
  Status loadLogins(const std::vector<State::Login>& logins);
  std::int64_t expiresOf(const Login& login) const;
  void tick();

  boost::asio::io_context& io_;
  log::Log& log_;
  runtime::EventBus* bus_;
  std::set<std::string> startedVpns_;  // State::startedVpns, from VpnStateChanged
  std::unique_ptr<NflogReader> logReader_;  // the logged packets' lines
  Interfaces interfaces_;
  std::filesystem::path procSys_;
  bool enabled_ = false;
  bool forwarding_ = false;  // a configured ruleset is in force, and IPv4 forwarding on
  Ruleset inForce_;          // the ruleset in force
  config::Snapshot config_;
  std::map<std::string, Record> records_;  // by ROWID
  std::vector<Login> logins_;              // in login order
  std::vector<std::size_t> owners_;        // the login of each rule of the user firewall's chain
  config::Snapshot previous_;              // the configuration before the last change,
  std::map<std::string, Record> previousRecords_;  // and the records then (a rollback)
  std::unique_ptr<boost::asio::steady_timer> sweep_;
  unsigned ticks_ = 0;
};

// nph-status.cgi's lines for `records`: "/fwrules/<rowid>/expires=<s>" and
// "/fwrules/<rowid>/state=active|inactive" for each.
std::string recordStatusText(const std::vector<FirewallModule::RecordStatus>& records);

}  // namespace bulwark::firewall
