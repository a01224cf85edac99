// The IPsec module: runs charon while at least one IPsec connection is
// enabled or activated (and the network is the appliance's own, see
// networkIsOurs()), keeps what charon has loaded equal to what is wanted, and
// keeps the state of every connection (IpsecService, ipsec_service.hpp).
//
// charon is declared to the supervisor (charon.hpp) when the first wanted
// connection appears and removed when the last goes. Once its VICI socket is
// ready the module connects (vici_client.hpp) and loads every connection it
// can (load-shared, or for X.509 load-cert and load-key, credentials.hpp;
// then load-conn); afterwards an
// edited connection (or one whose certificates changed) is loaded again
// (charon replaces it), a deleted,
// disabled or deactivated one is terminated and unloaded, and the others are
// not touched. When charon restarts, the client notices and everything is
// loaded again. The CRLs (CRLS) go with every X.509 connection's
// credentials; charon keeps a CRL until its credentials are cleared, so when
// one is removed they are (clear-creds) and every connection's are given
// again.
//
// The SAs are kept from list-sas (on connecting, and when refresh() asks)
// and from the events ike-updown, child-updown, ike-rekey and child-rekey;
// each change of a connection's state is published as VpnStateChanged.
// Connections coming up and going down are logged from those events, and
// attempts that fail (for which charon raises no event) from its `log`
// event: the first failure charon reports for an IKE SA of ours.
//
// A change that would have a connection initiated without a peer address
// (CONNECTION_STARTUP initiate or initiate-on-traffic with REMOTE_GATEWAY
// %any) is refused, so that the configuration service rolls it back. Where
// ESP is in user space (kernel-libipsec) a trap never fires: an
// initiate-on-traffic connection is then loaded as initiate, and the log
// says so.
//
// synup (synup.hpp) runs here too: a connection activated by it is loaded
// without charon's own start, so that synup's initiate is the attempt.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "init/supervisor.hpp"
#include "log/log.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module.hpp"
#include "runtime/timers.hpp"
#include "vpn/ipsec/charon.hpp"
#include "vpn/ipsec/connection.hpp"
#include "vpn/ipsec/ipsec_service.hpp"
#include "vpn/ipsec/sa_state.hpp"
#include "vpn/ipsec/synup.hpp"
#include "vpn/ipsec/vici_client.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::ipsec {

class IpsecModule final : public runtime::Module, public IpsecService {
 public:
  struct Options {
    std::filesystem::path runDir;  // strongswan.conf and charon.vici go here
    bool kernelEsp = true;         // false: charon does ESP itself (kernel-libipsec)
    bool ownsNetwork = true;       // false: charon is never started (networkIsOurs())
    std::chrono::milliseconds viciTimeout{10000};
    std::filesystem::path dataDir;  // machine certificates and their keys (pki/store.hpp)
    Synups::Options synup;  // its initiate timeout stays below viciTimeout
  };
  IpsecModule(boost::asio::io_context& io, runtime::Timers& timers, const runtime::Clock& clock,
              runtime::EventBus& bus, log::Log& log, init::Supervisor& supervisor, Options options);
  ~IpsecModule() override;

  std::string_view name() const override { return "ipsec"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override;

  // charon's VICI socket (for swanctl --uri unix://...).
  std::filesystem::path viciSocket() const { return options_.runDir / "charon.vici"; }
  bool charonConnected() const { return client_ && client_->connected(); }

  // IpsecService
  std::vector<ConnectionStatus> connections() const override;
  void refresh(std::function<void()> done) override;
  Status activate(const std::string& id) override;
  Status deactivate(const std::string& id) override;
  void whenGone(const std::string& id, std::chrono::milliseconds timeout, std::function<void(bool)> done) override;
  std::function<void()> synup(const std::string& id, SynupLine line) override;
  void terminateIke(std::uint32_t ikeUniqueId, std::function<void(Status)> done) override;
  std::string synupDiagnostics() const override { return synups_.diagnostics(); }

  // What synup needs from the other rooms (names, routes, the device).
  void setSynupEnvironment(SynupEnvironment environment) { synups_.setEnvironment(std::move(environment)); }

 private:
  struct Waiter {
    std::string id;
    runtime::Timers::Id timer = 0;
    std::function<void(bool)> done;
  };

  Synups::Host synupHost();
  void apply(const config::Config& config);
  void plan(bool sayWhy);
  void runCharon(bool wanted);
  void charonStateChanged(const init::ServiceStateChanged& change);
  void onCharonConnected();
  void charonDisconnected(const std::string& reason);
  void charonEvent(const std::string& name, const vici::Message& message);
  bool reconcile();
  Connection forThisCharon(const Connection& connection) const;
  void load(const Connection& connection);
  void loadCredentials(const Connection& connection);
  void unload(std::string id);
  void syncPool(const Connection* before, const Connection* now);
  void initiateIdle(const Connection& connection);
  void logSaEvent(const std::string& event, const vici::Message& message);
  void charonLog(const vici::Message& message);
  void changed();
  const Connection* configured(const std::string& id) const;
  ConnectionStatus statusOf(const Connection& connection) const;
  std::string errorOf(const Connection& connection) const;
  std::string label(const std::string& id) const;

  boost::asio::io_context& io_;
  runtime::Timers& timers_;
  const runtime::Clock& clock_;
  runtime::EventBus& bus_;
  log::Log& log_;
  init::Supervisor& supervisor_;
  Options options_;
  std::vector<Connection> configured_;           // every VPN_CONNECTION row, in order
  std::set<std::string> activated_;               // row ids switched on at run time
  std::map<std::string, Connection> desired_;     // by row id: wanted and loadable
  std::map<std::string, Connection> loaded_;      // what charon was given
  std::set<std::string> crlsGiven_;  // every CRL charon was given since it last cleared its credentials
  // The SA events so far, the lists of SAs in progress (by the count of
  // events when each was asked for), and the events since the oldest of them.
  std::uint64_t saEvents_ = 0;
  std::multiset<std::uint64_t> listings_;
  std::vector<std::pair<std::uint64_t, std::pair<std::string, vici::Message>>> recentSaEvents_;
  std::set<std::string> armed_;                   // ... and took
  std::map<std::string, std::string> refused_;    // ... and refused, with its reason
  SaTable sas_;
  std::set<std::uint32_t> failedSas_;             // IKE SAs whose failure is logged
  std::map<std::string, VpnStateChanged> published_;
  std::map<std::uint64_t, Waiter> waiters_;
  std::uint64_t nextWaiter_ = 1;
  bool declared_ = false;                         // the charon service exists
  bool charonFailed_ = false;                     // the supervisor gave up on it
  std::unique_ptr<ViciClient> client_;
  Synups synups_;
};

}  // namespace bulwark::ipsec
