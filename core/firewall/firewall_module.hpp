// The packet filter in the core: compiles the configuration (compiler.hpp)
// at start and after every change, and loads the result (nft_backend.hpp)
// when it differs from what is in force. A change the compiler or the kernel
// refuses is refused: the configuration transaction rolls back and the
// previous ruleset stays. IPv4 forwarding is switched on only once a ruleset
// is in force (fail closed: without a filter the appliance does not route).
// The lines of logged packets come from NFLOG (nflog.hpp). Boards without
// an external and an internal port (sim) leave the host's packet filter
// alone.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "board.hpp"
#include "firewall/compiler.hpp"
#include "firewall/nflog.hpp"
#include "log/log.hpp"
#include "runtime/module.hpp"

namespace bulwark::firewall {

// The kernel names of the board's external, internal and DMZ ports.
Interfaces interfacesOf(const platform::Board& board);

class FirewallModule final : public runtime::Module {
 public:
  // `procSys`: where ip_forward lives (/proc/sys; tests may point elsewhere).
  FirewallModule(boost::asio::io_context& io, const platform::Board& board, log::Log& log,
                 std::filesystem::path procSys = "/proc/sys");
  std::string_view name() const override { return "firewall"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override { logReader_.reset(); }

 private:
  Status apply(const config::Config& config);

  boost::asio::io_context& io_;
  log::Log& log_;
  std::unique_ptr<NflogReader> logReader_;  // the logged packets' lines
  Interfaces interfaces_;
  std::filesystem::path procSys_;
  bool enabled_ = false;
  std::string loaded_;  // the text of the ruleset in force
};

}  // namespace bulwark::firewall
