// The network module: brings the board's ports up, puts the first address
// of INT_ADDRESSES on the internal port and those of DMZ_ADDRESSES on the
// DMZ port (boards without one ignore them; a DMZ network that overlaps an
// internal one is refused, since the packet filter's anti-spoofing tells
// the two apart by source) and sets the kernel's host name from
// HOSTNAME, following changes; supervises the ports' links (link_monitor.hpp:
// LinkChanged events and the 4.3.10 line); runs the DHCP server of the
// internal network (busybox udhcpd, supervised as dhcp-int, its lines as in
// 4.3.11) from DHCP_INT_MODE, DHCP_INT_POOL, DHCP_INT_DNS and
// DHCP_INT_LEASE_TIME. The external port follows ROUTER_MODE: dhcp runs
// busybox udhcpc (supervised as dhclient; its callback is this binary as
// udhcpc-event, and the lease is applied over rtnetlink), static puts
// EXT_ADDRESSES on it with the default route via EXT_GATEWAY. The name
// servers (DNS_MODE: the lease's, or DNS_SERVERS) go to <run>/resolv.conf,
// which the image's /etc/resolv.conf points to; dnsmasq (supervised as
// "dns") answers the internal network on the internal address, forwarding
// to those servers. The NTP client
// (ntp_client.hpp) follows NTP_ENABLE and NTP_SERVERS, on every board.
// Boards without ports (sim) leave the host's network alone.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "board.hpp"
#include "init/supervisor.hpp"
#include "log/log.hpp"
#include "net/link_monitor.hpp"
#include "net/ntp_client.hpp"
#include "net/resolver.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module.hpp"
#include "runtime/timers.hpp"

namespace bulwark::net {

// The first address of INT_ADDRESSES, "192.168.1.1/24" ("" when none): the
// appliance's address on the internal network.
std::string internalAddress(const config::Config& config);

// Whether a service the packet filter's access rules guard must listen on
// every address, not the internal one only: remote access from outside is
// on (`allowed`: HTTPS_REMOTE_ACCESS, SSH_REMOTE_ACCESS), or a row of
// `rules` (HTTPS_REMOTE_ACCESS_RULES, ...) lets in the DMZ, whose hosts
// reach the appliance on its DMZ address.
bool listensEverywhere(const config::Config& config, std::string_view allowed, std::string_view rules);

// Refuses DMZ_ADDRESSES whose networks overlap those of INT_ADDRESSES (the
// module asks only on boards with a DMZ port).
Status checkDmzNetworks(const config::Config& config);

// The udhcpd configuration for the internal network (for tests).
std::string udhcpdConfig(const config::Config& config, const std::string& interface, const std::string& runDir);

// The resolv.conf text for these name servers (for tests).
std::string resolvConf(const std::vector<std::string>& servers);

// The configuration of dnsmasq, the name server of the internal network (for tests).
std::string dnsmasqConfig(const std::string& internalCidr, const std::string& runDir);

class NetModule final : public runtime::Module {
 public:
  NetModule(boost::asio::io_context& io, runtime::Timers& timers, runtime::EventBus& bus,
            const platform::Board& board, log::Log& log, init::Supervisor& supervisor, std::filesystem::path runDir,
            SystemTime& time, NtpTiming ntpTiming = NtpTiming())
      : io_(io), timers_(timers), bus_(bus), board_(board), log_(log), supervisor_(supervisor),
        runDir_(std::move(runDir)), resolver_(makeResolver(io, timers, log)),
        ntp_(io, timers, log, time, ntpTiming, resolveFunction()) {}
  std::string_view name() const override { return "net"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override {
    links_.reset();
    ntp_.configure(false, {});
  }

  // A DHCP client event from udhcpc-event ({"ctl": "dhcp-event", ...}); the JSON answer.
  std::string handleDhcpEvent(const std::string& request);

  // The time synchronisation (NTP_ENABLE, NTP_SERVERS), for nph-status.cgi.
  TimeStatus timeStatus() const { return ntp_.status(); }

  // A host name to IPv4 addresses with the configured name servers, called
  // back on the loop (the VPN's synup resolves its peer with it).
  void resolve(const std::string& name, std::function<void(Result<std::vector<std::string>>)> done) {
    if (!resolver_) return done(Error{"no resolver"});
    resolver_->resolve(name, std::move(done));
  }

  // The carrier last seen on a port's interface (nullopt: not watched or not
  // seen yet), the starting point of the LEDs' link supervision.
  std::optional<bool> carrier(const std::string& interface) const {
    return links_ ? links_->carrier(interface) : std::nullopt;
  }

 private:
  Status applyInternal(const config::Config& config);
  Status applyDmz(const config::Config& config);
  void applyHostname(const config::Config& config);
  Status applyDhcpServer(const config::Config& config);
  Status applyDhcpClient(const config::Config& config);
  void stopDhcpClient(const platform::Port& external);
  // ROUTER_MODE: static addresses and gateway, or the DHCP client (restarted
  // when `restartDhcp`, e.g. for a new host name).
  Status applyExternal(const config::Config& config, bool restartDhcp = false);
  void applyDns(const config::Config& config);
  void applyNtp(const config::Config& config);
  static std::unique_ptr<Resolver> makeResolver(boost::asio::io_context& io, runtime::Timers& timers, log::Log& log);
  NtpClient::Resolve resolveFunction();
  Status applyDnsForwarder(const config::Config& config);

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
  bool dnsForwarder_ = false;    // dns (dnsmasq) is declared
  std::string externalAddress_;  // from DHCP
  std::vector<std::string> dhcpDns_;          // name servers of the lease
  std::vector<std::string> staticAddresses_;  // in place now (ROUTER_MODE static)
  std::vector<std::string> dmzAddresses_;     // in place now on the DMZ port
  std::string staticGateway_;                 // the default route set for static mode
  std::string resolvConf_;                    // last written
  config::Snapshot current_;                  // for DHCP events between changes
  std::unique_ptr<Resolver> resolver_;        // names for the NTP client, from resolv.conf's servers
  NtpClient ntp_;
};

}  // namespace bulwark::net
