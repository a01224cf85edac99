#include "firewall/firewall_module.hpp"

#include <fstream>

#include <fmt/format.h>

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

Status FirewallModule::apply(const config::Config& config) {
  auto ruleset = compile(config, interfaces_);
  if (!ruleset) return Error{fmt::format("packet filter: {}", ruleset.error())};
  std::string text = toNft(*ruleset);
  if (text == loaded_) return {};
  if (Status s = load(*ruleset); !s) return s;
  std::size_t rules = 0;
  for (const Chain& c : ruleset->chains) rules += c.rules.size();
  log_.write("firewall", fmt::format("packet filter loaded: {} chains, {} rules", ruleset->chains.size(), rules));
  if (loaded_.empty()) {
    std::ofstream forward(procSys_ / "net/ipv4/ip_forward");
    forward << "1\n";
    if (!forward.flush()) log_.write("firewall", "cannot switch IPv4 forwarding on");
  }
  loaded_ = std::move(text);
  return {};
}

Status FirewallModule::start(const config::Snapshot& snapshot) {
  if (!enabled_) return {};
  auto reader = NflogReader::open(io_, log_, kLogGroup);
  if (reader) {
    logReader_ = std::move(*reader);
  } else {
    log_.write("firewall", fmt::format("no packet log: {}", reader.error()));
  }
  // At start a refusal is logged, not fatal: the appliance stays reachable
  // from the internal side, and does not route.
  if (Status s = apply(*snapshot); !s) log_.write("firewall", s.message() + "; IPv4 forwarding stays off");
  return {};
}

Status FirewallModule::reconfigure(const config::Snapshot& snapshot, const config::Diff&) {
  if (!enabled_) return {};
  return apply(*snapshot);  // unchanged text: nothing loaded
}

}  // namespace bulwark::firewall
