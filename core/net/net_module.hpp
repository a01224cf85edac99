// The network module (first step): brings the board's ports up, puts the
// first address of INT_ADDRESSES on the internal port and sets the kernel's
// host name from HOSTNAME, following changes.
// Boards without ports (sim) leave the host's network alone. DHCP on the
// external port, routes, link supervision and the daemons come next (issue 5).
#pragma once

#include <string>

#include "board.hpp"
#include "log/log.hpp"
#include "runtime/module.hpp"

namespace bulwark::net {

class NetModule final : public runtime::Module {
 public:
  NetModule(const platform::Board& board, log::Log& log) : board_(board), log_(log) {}
  std::string_view name() const override { return "net"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override {}

 private:
  Status applyInternal(const config::Config& config);
  void applyHostname(const config::Config& config);

  const platform::Board& board_;
  log::Log& log_;
  std::string internalAddress_;  // in place now
};

}  // namespace bulwark::net
