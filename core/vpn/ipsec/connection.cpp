#include "vpn/ipsec/connection.hpp"

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

std::vector<std::string> crlsOf(const config::Config& config) {
  std::vector<std::string> out;
  if (const config::Value* rows = config.find("CRLS")) {
    for (const config::Row& row : rows->rows) {
      if (const std::string& crl = cell(row, "CRL"); !crl.empty()) out.push_back(crl);
    }
  }
  return out;
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
    c.x509.localCertRef = cell(row, "LOCAL_CERT_REF");
    c.x509.remoteCaRef = cell(row, "REMOTE_CA_REF");
    c.x509.remoteCert = cell(row, "REMOTE_CERTIFICATE");
    c.x509.localId = cell(row, "LOCAL_ID");
    c.x509.remoteId = cell(row, "REMOTE_ID");
    if (c.auth == AuthMethod::X509) c.x509.crls = crlsOf(config);
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
    out.push_back(std::move(c));
  }
  return out;
}

std::string unsupportedReason(const Connection& c) {
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
                                  .addList("local_ts", {t.localNet})
                                  .addList("remote_ts", {t.remoteNet})
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

vici::Message loadSharedMessage(const Connection& c) {
  vici::Message m;
  m.add("id", c.id).add("type", "IKE").add("data", c.psk);
  // A key owned by the peer's address is found for that peer only; without
  // an address (%any, a host name) it is everyone's.
  if (parseIpv4(c.remoteGateway)) m.addList("owners", {c.remoteGateway});
  return m;
}

}  // namespace bulwark::ipsec
