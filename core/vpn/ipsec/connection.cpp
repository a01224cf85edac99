#include "vpn/ipsec/connection.hpp"

#include <charconv>

#include <fmt/format.h>

#include "common/ipv4.hpp"
#include "pki/certificate.hpp"

namespace bulwark::ipsec {

namespace {

const std::string& cell(const config::Row& row, std::string_view column) {
  static const std::string none;
  auto it = row.fields.find(column);
  return it == row.fields.end() ? none : it->second.text;
}

const config::Row* rowOf(const config::Config& config, std::string_view table, std::string_view id) {
  const config::Value* rows = config.find(table);
  if (!rows || id.empty()) return nullptr;
  for (const config::Row& row : rows->rows) {
    if (row.id == id) return &row;
  }
  return nullptr;
}

std::chrono::seconds durationCell(const config::Row& row, std::string_view column) {
  return std::chrono::seconds(config::parseDuration(cell(row, column)).value_or(0));
}

// charon's times: rekeyed at 90 % of the lifetime, gone at the lifetime.
std::string seconds(std::chrono::seconds s) { return fmt::format("{}s", s.count()); }
std::string rekeyAt(std::chrono::seconds lifetime) { return seconds(lifetime * 9 / 10); }

// MODECFG server: the mode configuration, and its tunnel instead of the
// TUNNEL rows (its local networks joined by ',' as charon lists selectors).
void readModeConfig(const config::Row& row, Connection& c) {
  if (cell(row, "MODECFG") != "server") return;
  ModeConfig& m = c.modeConfig;
  m.server = true;
  if (cell(row, "MODECFG_LOCAL") == "table") {
    if (auto nets = row.fields.find("MODECFG_LOCAL_NETS"); nets != row.fields.end()) {
      for (const config::Row& net : nets->second.rows) m.localNets.push_back(cell(net, "NETWORK"));
    }
  } else {
    m.localNets.push_back(cell(row, "MODECFG_LOCAL_NET"));
  }
  m.pool = cell(row, "MODECFG_REMOTE_POOL");
  const std::string& tranche = cell(row, "MODECFG_REMOTE_TRANCHE");  // the schema checked it: 0 to 32
  std::from_chars(tranche.data(), tranche.data() + tranche.size(), m.tranche);
  std::string local;
  for (const std::string& net : m.localNets) local += (local.empty() ? "" : ",") + net;
  c.tunnels = {{c.id + "-modecfg", local, m.pool}};
}

// A tunnel's selectors: its networks; for mode configuration the local ones
// listed, and the peer's address from the pool ("dynamic": charon puts in
// the address it gave).
std::vector<std::string> localSelectors(const Connection& c, const Tunnel& t) {
  return c.modeConfig.server ? c.modeConfig.localNets : std::vector<std::string>{t.localNet};
}
std::vector<std::string> remoteSelectors(const Connection& c, const Tunnel& t) {
  return {c.modeConfig.server ? "dynamic" : t.remoteNet};
}

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
    c.x509.localCertRef = cell(row, "LOCAL_CERT_REF");
    c.x509.remoteCaRef = cell(row, "REMOTE_CA_REF");
    c.x509.remoteCert = cell(row, "REMOTE_CERTIFICATE");
    c.x509.localId = cell(row, "LOCAL_ID");
    c.x509.remoteId = cell(row, "REMOTE_ID");
    if (const config::Row* ca = rowOf(config, "CA_CERTIFICATES", c.x509.remoteCaRef)) {
      c.x509.remoteCa = cell(*ca, "CERTIFICATE");
    }
    if (!c.x509.remoteCert.empty()) {
      auto info = pki::describeCertificate(c.x509.remoteCert);
      if (info) {
        c.x509.remoteSubject = info->subjectDerHex;
      } else {
        c.x509.problem = "REMOTE_CERTIFICATE is not usable: " + info.error();
      }
    }
    c.remoteGateway = cell(row, "REMOTE_GATEWAY");
    c.ikeLifetime = durationCell(row, "IKE_LIFETIME");
    c.saLifetime = durationCell(row, "SA_LIFETIME");
    if (auto tunnels = row.fields.find("TUNNEL"); tunnels != row.fields.end()) {
      for (const config::Row& t : tunnels->second.rows) {
        c.tunnels.push_back({t.id, cell(t, "LOCAL_NET"), cell(t, "REMOTE_NET")});
      }
    }
    readModeConfig(row, c);
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

std::string modeConfigProblem(const ModeConfig& m) {
  if (!m.server) return "";
  if (m.localNets.empty()) return "MODECFG_LOCAL is table but MODECFG_LOCAL_NETS has no network";
  if (m.tranche != 32) {
    return fmt::format("MODECFG_REMOTE_TRANCHE is {}: charon gives each peer one address, so only tranches of size 32 "
                       "are served",
                       m.tranche);
  }
  return "";
}

}  // namespace

std::string unsupportedReason(const Connection& c) {
  if (std::string why = modeConfigProblem(c.modeConfig); !why.empty()) return why;
  if (c.tunnels.empty()) return "it has no tunnel";
  if (c.auth == AuthMethod::Psk) return c.psk.empty() ? "AUTH_METHOD is psk but PSK is empty" : "";
  const X509Credentials& x = c.x509;
  if (x.localCertRef.empty()) return "AUTH_METHOD is x509 but LOCAL_CERT_REF names no machine certificate";
  if (x.remoteCert.empty() && x.remoteCaRef.empty()) {
    return "AUTH_METHOD is x509 but neither REMOTE_CERTIFICATE nor REMOTE_CA_REF says which peer certificate to accept";
  }
  if (x.remoteCert.empty() && x.remoteCa.empty()) return "the CA certificate of REMOTE_CA_REF has no CERTIFICATE";
  if (!x.problem.empty()) return x.problem;
  if (x.localCert.empty()) return "the machine certificate of LOCAL_CERT_REF was not read";
  return "";
}

vici::Message loadConnMessage(const Connection& c) {
  vici::Message children;
  for (const Tunnel& t : c.tunnels) {
    children.addSection(t.id, vici::Message{}
                                  .addList("local_ts", localSelectors(c, t))
                                  .addList("remote_ts", remoteSelectors(c, t))
                                  .add("rekey_time", rekeyAt(c.saLifetime))
                                  .add("life_time", seconds(c.saLifetime))
                                  .add("start_action", c.initiates() ? "start" : "none")
                                  .add("dpd_action", c.initiates() ? "restart" : "clear"));
  }
  vici::Message local, remote;
  if (c.auth == AuthMethod::Psk) {
    // The peer's identity is its address, as charon's default; naming it lets
    // the initiator find the key owned by that address before the peer answers.
    local.add("auth", "psk");
    remote.add("auth", "psk");
    if (parseIpv4(c.remoteGateway)) remote.add("id", c.remoteGateway);
  } else {
    const X509Credentials& x = c.x509;
    // A DN by its DER encoding ("asn1dn:#hex"), exactly as the certificate
    // has it: its text form would depend on the order and escaping of RDNs.
    local.add("auth", "pubkey")
        .addList("certs", {x.localCert})
        .add("id", x.localId.empty() ? "asn1dn:#" + x.localSubject : x.localId);
    remote.add("auth", "pubkey");
    if (!x.remoteCert.empty()) remote.addList("certs", {x.remoteCert});
    if (!x.remoteCa.empty()) remote.addList("cacerts", {x.remoteCa});
    std::string remoteId = x.remoteId;
    if (remoteId.empty()) remoteId = x.remoteCert.empty() ? "%any" : "asn1dn:#" + x.remoteSubject;
    remote.add("id", remoteId);
  }
  vici::Message conn;
  conn.add("version", "2");
  if (c.modeConfig.server) conn.addList("pools", {c.id});
  if (c.initiates()) conn.addList("remote_addrs", {c.remoteGateway});
  conn.add("rekey_time", rekeyAt(c.ikeLifetime))
      .add("over_time", seconds(c.ikeLifetime - c.ikeLifetime * 9 / 10))
      .add("dpd_delay", "30s")
      .add("keyingtries", c.initiates() ? "0" : "1")
      .addSection("local", std::move(local))
      .addSection("remote", std::move(remote))
      .addSection("children", std::move(children));
  return vici::Message{}.addSection(c.id, std::move(conn));
}

vici::Message loadPoolMessage(const Connection& c) {
  return vici::Message{}.addSection(c.id, vici::Message{}.add("addrs", c.modeConfig.pool));
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
