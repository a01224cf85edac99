#include "vpn/ipsec/ipsec_service.hpp"

#include <algorithm>

namespace bulwark::ipsec {

std::string_view stateName(VpnState state) {
  switch (state) {
    case VpnState::Void: return "void";
    case VpnState::Ready: return "ready";
    case VpnState::Active: return "active";
  }
  return "void";
}

std::size_t ConnectionStatus::establishedTunnels() const {
  return static_cast<std::size_t>(
      std::count_if(tunnels.begin(), tunnels.end(), [](const TunnelStatus& t) { return t.established(); }));
}

VpnState ConnectionStatus::state() const {
  if (establishedTunnels() > 0) return VpnState::Active;
  if (!wanted() || !error.empty()) return VpnState::Void;
  return VpnState::Ready;
}

std::vector<ConnectionStatus> named(const std::vector<ConnectionStatus>& all, std::string_view name) {
  std::vector<ConnectionStatus> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [name](const ConnectionStatus& c) { return name == "*" || c.name == name; });
  return out;
}

}  // namespace bulwark::ipsec
