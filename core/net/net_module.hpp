// The network module (first step): brings the board's ports up, puts the
// first address of INT_ADDRESSES on the internal port and sets the kernel's
// host name from HOSTNAME, following changes; supervises the ports' links
// (link_monitor.hpp: LinkChanged events and the 4.3.10 line); runs the DHCP
// server of the internal network (busybox udhcpd, supervised as dhcp-int,
// its lines as in 4.3.11) from DHCP_INT_MODE, DHCP_INT_POOL, DHCP_INT_DNS
// and DHCP_INT_LEASE_TIME.
// Boards without ports (sim) leave the host's network alone. DHCP on the
// external port, routes, link supervision and the daemons come next (issue 5).
#pragma once

#include <string>

#include <memory>

#include <filesystem>

#include "board.hpp"
#include "init/supervisor.hpp"
#include "log/log.hpp"
#include "net/link_monitor.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module.hpp"
#include "runtime/timers.hpp"

namespace bulwark::net {

// The first address of INT_ADDRESSES, "192.168.1.1/24" ("" when none): the
// appliance's address on the internal network.
std::string internalAddress(const config::Config& config);

// The udhcpd configuration for the internal network (for tests).
std::string udhcpdConfig(const config::Config& config, const std::string& interface, const std::string& runDir);

class NetModule final : public runtime::Module {
 public:
  NetModule(boost::asio::io_context& io, runtime::Timers& timers, runtime::EventBus& bus,
            const platform::Board& board, log::Log& log, init::Supervisor& supervisor, std::filesystem::path runDir)
      : io_(io), timers_(timers), bus_(bus), board_(board), log_(log), supervisor_(supervisor),
        runDir_(std::move(runDir)) {}
  std::string_view name() const override { return "net"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override { links_.reset(); }

  // A DHCP client event from udhcpc-event ({"ctl": "dhcp-event", ...}); the JSON answer.
  std::string handleDhcpEvent(const std::string& request);

 private:
  Status applyInternal(const config::Config& config);
  void applyHostname(const config::Config& config);
  Status applyDhcpServer(const config::Config& config);
  Status applyDhcpClient(const config::Config& config);

  boost::asio::io_context& io_;
  runtime::Timers& timers_;
  runtime::EventBus& bus_;
  std::unique_ptr<LinkMonitor> links_;
  const platform::Board& board_;
  log::Log& log_;
  init::Supervisor& supervisor_;
  std::filesystem::path runDir_;
  std::string internalAddress_;  // in place now
  bool dhcpServer_ = false;      // dhcp-int is declared
  bool dhcpClient_ = false;      // dhclient is declared
  std::string externalAddress_;  // from DHCP
};

}  // namespace bulwark::net
