// The network module (first step): brings the board's ports up, puts the
// first address of INT_ADDRESSES on the internal port and sets the kernel's
// host name from HOSTNAME, following changes; supervises the ports' links
// (link_monitor.hpp: LinkChanged events and the 4.3.10 line).
// Boards without ports (sim) leave the host's network alone. DHCP on the
// external port, routes, link supervision and the daemons come next (issue 5).
#pragma once

#include <string>

#include <memory>

#include "board.hpp"
#include "log/log.hpp"
#include "net/link_monitor.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module.hpp"
#include "runtime/timers.hpp"

namespace bulwark::net {

class NetModule final : public runtime::Module {
 public:
  NetModule(boost::asio::io_context& io, runtime::Timers& timers, runtime::EventBus& bus,
            const platform::Board& board, log::Log& log)
      : io_(io), timers_(timers), bus_(bus), board_(board), log_(log) {}
  std::string_view name() const override { return "net"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override { links_.reset(); }

 private:
  Status applyInternal(const config::Config& config);
  void applyHostname(const config::Config& config);

  boost::asio::io_context& io_;
  runtime::Timers& timers_;
  runtime::EventBus& bus_;
  std::unique_ptr<LinkMonitor> links_;
  const platform::Board& board_;
  log::Log& log_;
  std::string internalAddress_;  // in place now
};

}  // namespace bulwark::net
