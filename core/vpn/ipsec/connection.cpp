#include "vpn/ipsec/connection.hpp"

#include <fmt/format.h>

#include "common/ipv4.hpp"

namespace bulwark::ipsec {

namespace {

const std::string& cell(const config::Row& row, std::string_view column) {
  static const std::string none;
  auto it = row.fields.find(column);
  return it == row.fields.end() ? none : it->second.text;
}

std::chrono::seconds durationCell(const config::Row& row, std::string_view column) {
  return std::chrono::seconds(config::parseDuration(cell(row, column)).value_or(0));
}

// charon's times: rekeyed at 90 % of the lifetime, gone at the lifetime.
std::string seconds(std::chrono::seconds s) { return fmt::format("{}s", s.count()); }
std::string rekeyAt(std::chrono::seconds lifetime) { return seconds(lifetime * 9 / 10); }

}  // namespace

std::vector<Connection> connectionsOf(const config::Config& config) {
  std::vector<Connection> out;
  const config::Value* table = config.find("VPN_CONNECTION");
  if (!table) return out;
  for (const config::Row& row : table->rows) {
    Connection c;
    c.id = row.id;
    c.name = cell(row, "VPN_NAME");
    c.enabled = cell(row, "ENABLED") == "yes";
    c.auth = cell(row, "AUTH_METHOD") == "psk" ? AuthMethod::Psk : AuthMethod::X509;
    c.psk = cell(row, "PSK");
    c.remoteGateway = cell(row, "REMOTE_GATEWAY");
    c.ikeLifetime = durationCell(row, "IKE_LIFETIME");
    c.saLifetime = durationCell(row, "SA_LIFETIME");
    if (auto tunnels = row.fields.find("TUNNEL"); tunnels != row.fields.end()) {
      for (const config::Row& t : tunnels->second.rows) {
        c.tunnels.push_back({t.id, cell(t, "LOCAL_NET"), cell(t, "REMOTE_NET")});
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string unsupportedReason(const Connection& c) {
  if (c.auth != AuthMethod::Psk) return "X.509 authentication is not supported yet";
  if (c.psk.empty()) return "AUTH_METHOD is psk but PSK is empty";
  if (c.tunnels.empty()) return "it has no tunnel";
  return "";
}

vici::Message loadConnMessage(const Connection& c) {
  vici::Message children;
  for (const Tunnel& t : c.tunnels) {
    children.addSection(t.id, vici::Message{}
                                  .addList("local_ts", {t.localNet})
                                  .addList("remote_ts", {t.remoteNet})
                                  .add("rekey_time", rekeyAt(c.saLifetime))
                                  .add("life_time", seconds(c.saLifetime))
                                  .add("start_action", c.initiates() ? "start" : "none")
                                  .add("dpd_action", c.initiates() ? "restart" : "clear"));
  }
  // The peer's identity is its address, as charon's default; naming it lets
  // the initiator find the key owned by that address before the peer answers.
  vici::Message remote;
  remote.add("auth", "psk");
  if (parseIpv4(c.remoteGateway)) remote.add("id", c.remoteGateway);
  vici::Message conn;
  conn.add("version", "2");
  if (c.initiates()) conn.addList("remote_addrs", {c.remoteGateway});
  conn.add("rekey_time", rekeyAt(c.ikeLifetime))
      .add("over_time", seconds(c.ikeLifetime - c.ikeLifetime * 9 / 10))
      .add("dpd_delay", "30s")
      .add("keyingtries", c.initiates() ? "0" : "1")
      .addSection("local", vici::Message{}.add("auth", "psk"))
      .addSection("remote", std::move(remote))
      .addSection("children", std::move(children));
  return vici::Message{}.addSection(c.id, std::move(conn));
}

vici::Message loadSharedMessage(const Connection& c) {
  vici::Message m;
  m.add("id", c.id).add("type", "IKE").add("data", c.psk);
  // A key owned by the peer's address is found for that peer only; without
  // an address (%any, a host name) it is everyone's.
  if (parseIpv4(c.remoteGateway)) m.addList("owners", {c.remoteGateway});
  return m;
}

}  // namespace bulwark::ipsec
