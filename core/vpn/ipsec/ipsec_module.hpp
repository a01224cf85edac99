// The IPsec module: runs charon while at least one IPsec connection is
// enabled (and the network is the appliance's own, see networkIsOurs()),
// and keeps what charon has loaded equal to the configuration.
//
// charon is declared to the supervisor (charon.hpp) when the first enabled
// connection appears and removed when the last goes. Once its VICI socket is
// ready the module connects (vici_client.hpp) and loads every connection it
// can (pre-shared keys so far: load-shared, then load-conn); afterwards an
// edited connection is loaded again (charon replaces it), a deleted or
// disabled one is unloaded, and the others are not touched. When charon
// restarts, the client notices and everything is loaded again. Connections
// coming up and going down are logged from charon's ike-updown and
// child-updown events.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "init/supervisor.hpp"
#include "log/log.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module.hpp"
#include "runtime/timers.hpp"
#include "vpn/ipsec/charon.hpp"
#include "vpn/ipsec/connection.hpp"
#include "vpn/ipsec/vici_client.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::ipsec {

class IpsecModule final : public runtime::Module {
 public:
  struct Options {
    std::filesystem::path runDir;  // strongswan.conf and charon.vici go here
    bool kernelEsp = true;         // false: charon does ESP itself (kernel-libipsec)
    bool ownsNetwork = true;       // false: charon is never started (networkIsOurs())
    std::chrono::milliseconds viciTimeout{10000};
  };
  IpsecModule(boost::asio::io_context& io, runtime::Timers& timers, runtime::EventBus& bus, log::Log& log,
              init::Supervisor& supervisor, Options options);
  ~IpsecModule() override;

  std::string_view name() const override { return "ipsec"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override;

  // charon's VICI socket (for swanctl --uri unix://...).
  std::filesystem::path viciSocket() const { return options_.runDir / "charon.vici"; }
  bool charonConnected() const { return client_ && client_->connected(); }

 private:
  void apply(const config::Config& config);
  void runCharon(bool wanted);
  void charonStateChanged(const init::ServiceStateChanged& change);
  void onCharonConnected();
  void charonDisconnected(const std::string& reason);
  void charonEvent(const std::string& name, const vici::Message& message);
  void reconcile();
  void load(const Connection& connection);
  void unload(const std::string& id);
  std::string label(const std::string& id) const;

  boost::asio::io_context& io_;
  runtime::Timers& timers_;
  log::Log& log_;
  init::Supervisor& supervisor_;
  Options options_;
  std::map<std::string, Connection> desired_;  // by row id: enabled and loadable
  std::map<std::string, Connection> loaded_;   // what charon was given
  bool declared_ = false;                      // the charon service exists
  std::unique_ptr<ViciClient> client_;
};

}  // namespace bulwark::ipsec
