// The packet filter in the core: compiles the configuration (compiler.hpp)
// at start and after every change, and loads the result (nft_backend.hpp)
// when it differs from what is in force. A change the compiler or the kernel
// refuses is refused: the configuration transaction rolls back and the
// previous ruleset stays. IPv4 forwarding is switched on only once a ruleset
// is in force (fail closed: without a filter the appliance does not route).
// Boards without an external and an internal port (sim) leave the host's
// packet filter alone.
#pragma once

#include <filesystem>
#include <string>

#include "board.hpp"
#include "firewall/compiler.hpp"
#include "log/log.hpp"
#include "runtime/module.hpp"

namespace bulwark::firewall {

// The kernel names of the board's external, internal and DMZ ports.
Interfaces interfacesOf(const platform::Board& board);

class FirewallModule final : public runtime::Module {
 public:
  // `procSys`: where ip_forward lives (/proc/sys; tests may point elsewhere).
  FirewallModule(const platform::Board& board, log::Log& log, std::filesystem::path procSys = "/proc/sys");
  std::string_view name() const override { return "firewall"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override {}

 private:
  Status apply(const config::Config& config);

  log::Log& log_;
  Interfaces interfaces_;
  std::filesystem::path procSys_;
  bool enabled_ = false;
  std::string loaded_;  // the text of the ruleset in force
};

}  // namespace bulwark::firewall
