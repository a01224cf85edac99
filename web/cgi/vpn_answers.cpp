#include "cgi/vpn_answers.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace bulwark::web::cgi {

namespace {

using ipsec::ConnectionStatus;
using ipsec::TunnelStatus;

void line(std::string& out, std::string_view key, std::string_view value) {
  out += value.empty() ? fmt::format("{}\n", key) : fmt::format("{} {}\n", key, value);
}

std::string seconds(const std::optional<std::chrono::seconds>& at, std::chrono::seconds now) {
  if (!at) return "";
  return fmt::format("{}s", std::max<std::int64_t>(0, (*at - now).count()));
}

std::string id(std::uint32_t uniqueId) { return uniqueId ? std::to_string(uniqueId) : ""; }

void tunnelBlock(std::string& out, const ConnectionStatus& c, const TunnelStatus& t,
                 const std::optional<ipsec::IkeSa>& ike, std::chrono::seconds now) {
  const std::optional<ipsec::ChildSa>& sa = t.sa;
  line(out, "fullname", c.name);
  line(out, "name", t.id);
  line(out, "leftnet", t.localNet);
  line(out, "leftgw", ike ? ike->localHost : "");
  line(out, "leftnatport", ike && ike->natLocal ? ike->localPort : "");
  line(out, "leftid", ike ? ike->localId : "");
  line(out, "leftproto", "");
  line(out, "leftport", "");
  line(out, "rightnet", t.remoteNet);
  // Before there is an IKE SA, the peer is the configured one (unless any).
  line(out, "rightgw", ike ? ike->remoteHost : c.remoteGateway != "%any" ? c.remoteGateway : "");
  line(out, "rightnatport", ike && ike->natRemote ? ike->remotePort : "");
  line(out, "rightid", ike ? ike->remoteId : "");
  line(out, "rightproto", "");
  line(out, "rightport", "");
  line(out, "isakmp", ike ? id(ike->uniqueId) : "");
  line(out, "isakmp-txt", ike ? ike->state : "");
  line(out, "isakmp-ltime", ike ? seconds(ike->rekeyAt, now) : "");
  line(out, "isakmp-algo", ike ? ike->algorithms : "");
  line(out, "ipsec", sa ? id(sa->uniqueId) : "");
  line(out, "ipsec-txt", sa ? sa->state : "");
  line(out, "ipsec-ltime", sa ? seconds(sa->rekeyAt, now) : "");
  line(out, "ipsec-algo", sa ? sa->algorithms : "");
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// A tunnel's blocks: one per peer up in it (several in a tunnel group),
// each with that peer's IKE SA and its CHILD_SA with the networks it
// narrowed the tunnel to; with none up, one block with the IKE SA its
// CHILD_SA belongs to, if any.
void tunnelBlocks(std::string& out, const ConnectionStatus& c, const TunnelStatus& t, std::chrono::seconds now) {
  std::vector<std::pair<const ipsec::IkeSa*, const ipsec::ChildSa*>> peers;
  std::optional<ipsec::IkeSa> owner;
  for (const ipsec::IkeSa& ike : c.sas) {
    for (const ipsec::ChildSa& child : ike.children) {
      if (child.name != t.id) continue;
      if (child.established()) peers.emplace_back(&ike, &child);
      if (t.sa && child.uniqueId == t.sa->uniqueId) owner = ike;
    }
  }
  if (peers.empty()) return tunnelBlock(out, c, t, owner ? owner : c.ike, now);
  for (auto [ike, child] : peers) {
    std::string local = joined(child->localTs), remote = joined(child->remoteTs);
    tunnelBlock(out, c,
                TunnelStatus{t.id, local.empty() ? t.localNet : local, remote.empty() ? t.remoteNet : remote, *child},
                *ike, now);
  }
}

}  // namespace

std::string vpnStateLines(const std::vector<ConnectionStatus>& connections) {
  std::string out;
  for (const ConnectionStatus& c : connections) out += fmt::format("{}: {}\n", c.name, stateName(c.state()));
  return out;
}

std::string vpnFullStatus(const std::vector<ConnectionStatus>& connections, std::chrono::seconds uptime) {
  std::string out;
  for (const ConnectionStatus& c : connections) {
    if (!c.wanted()) continue;
    for (const TunnelStatus& t : c.tunnels) tunnelBlocks(out, c, t, uptime);
  }
  return out;
}

std::string vpnSynstat(const ConnectionStatus& c) {
  std::string out = fmt::format("R OKVST1 id={} enabled={} activated={}", c.id, c.enabled ? "yes" : "no",
                                c.activated ? "yes" : "no");
  if (c.activated) {
    std::string ike = !c.ike ? "DEAD" : c.ike->established() ? "OK" : c.ike->state;
    std::string ipsec = c.tunnels.empty() ? "DEAD" : "OK";
    for (const TunnelStatus& t : c.tunnels) {
      if (t.established()) continue;
      ipsec = t.sa ? t.sa->state : "DEAD";
      break;
    }
    out += fmt::format(" ike={} ipsec={}", ike, ipsec);
  }
  return out + "\n";
}

std::string vpnClearLines(const std::vector<ipsec::ChannelInstance>& cleared) {
  if (cleared.empty()) return "unknown\n";
  std::string out;
  for (const ipsec::ChannelInstance& i : cleared) {
    std::string instance = fmt::format("\"{}_{}\"[{}]", i.connectionId, i.tunnelNumber, i.ikeUniqueId);
    out += fmt::format("002 {} {}: deleting connection\n{} instance with peer {} {{isakmp=#0/ipsec=#0}}\n", instance,
                       i.peer, instance, i.peer);
  }
  return out + "cleared\n";
}

std::string vpnConStatus(const std::vector<ConnectionStatus>& connections) {
  std::string out;
  for (const ConnectionStatus& c : connections) {
    std::size_t up = c.establishedTunnels(), all = c.tunnels.size();
    std::string_view ipsec = up == 0 ? "down" : up == all ? "up" : "some";
    bool isakmp = c.ike && c.ike->established();
    out += fmt::format(
        "/vpn/con/{0}/armed={1}\n/vpn/con/{0}/ipsec={2}\n/vpn/con/{0}/isakmp={3}\n/vpn/con/{0}/sa_count={4}\n"
        "/vpn/con/{0}/sa_count_conf={5}\n",
        c.id, c.wanted() && c.armed ? "yes" : "no", ipsec, isakmp ? "up" : "down", up, all);
  }
  return out;
}

}  // namespace bulwark::web::cgi
