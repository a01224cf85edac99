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

namespace {

// A network as the configuration or charon writes it, host bits dropped.
std::optional<Ipv4Prefix> network(std::string_view text) {
  auto p = parseIpv4Prefix(text);
  if (!p) return std::nullopt;
  return Ipv4Prefix{p->network(), p->length};
}

// Exactly one traffic selector, and it is `net`.
bool only(const std::vector<std::string>& selectors, const Ipv4Prefix& net) {
  return selectors.size() == 1 && network(selectors.front()) == net;
}

}  // namespace

Result<Channel> parseChannel(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return Error{"the channel is not LNET:RNET (two networks joined by ':')"};
  auto local = network(text.substr(0, colon));
  auto remote = network(text.substr(colon + 1));
  if (!local) return Error{"the channel's local network is not an IPv4 network a.b.c.d/n"};
  if (!remote) return Error{"the channel's remote network is not an IPv4 network a.b.c.d/n"};
  return Channel{*local, *remote};
}

std::string_view channelStateName(ChannelState state) {
  switch (state) {
    case ChannelState::Unknown: return "unknown";
    case ChannelState::Ready: return "ready";
    case ChannelState::Active: return "active";
  }
  return "unknown";
}

std::vector<ChannelInstance> channelInstances(const std::vector<ConnectionStatus>& all, const Channel& channel) {
  std::vector<ChannelInstance> out;
  for (const ConnectionStatus& c : all) {
    for (const IkeSa& ike : c.sas) {
      for (const ChildSa& child : ike.children) {
        if (!child.established() || !only(child.localTs, channel.local) || !only(child.remoteTs, channel.remote)) {
          continue;
        }
        auto tunnel = std::find_if(c.tunnels.begin(), c.tunnels.end(),
                                   [&child](const TunnelStatus& t) { return t.id == child.name; });
        out.push_back({c.id, c.name, static_cast<std::size_t>(tunnel - c.tunnels.begin()) + 1, ike.uniqueId,
                       ike.remoteHost});
        break;  // one instance per IKE SA
      }
    }
  }
  return out;
}

ChannelState channelState(const std::vector<ConnectionStatus>& all, const Channel& channel) {
  if (!channelInstances(all, channel).empty()) return ChannelState::Active;
  for (const ConnectionStatus& c : all) {
    if (c.state() == VpnState::Void || !c.armed) continue;
    for (const TunnelStatus& t : c.tunnels) {
      if (network(t.localNet) == channel.local && network(t.remoteNet) == channel.remote) return ChannelState::Ready;
    }
  }
  return ChannelState::Unknown;
}

std::vector<ConnectionStatus> named(const std::vector<ConnectionStatus>& all, std::string_view name) {
  std::vector<ConnectionStatus> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [name](const ConnectionStatus& c) { return name == "*" || c.name == name; });
  return out;
}

}  // namespace bulwark::ipsec
