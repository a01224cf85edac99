#include "vpn/ipsec/connection.hpp"

#include <algorithm>
#include <charconv>
#include <span>

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

Startup startupOf(std::string_view text) {
  if (text == "initiate") return Startup::Initiate;
  if (text == "initiate-on-traffic") return Startup::OnTraffic;
  return Startup::Wait;
}

std::vector<Proposal> proposalsOf(const config::Row& row, std::string_view table) {
  std::vector<Proposal> out;
  auto rows = row.fields.find(table);
  if (rows == row.fields.end()) return out;
  for (const config::Row& p : rows->second.rows) {
    out.push_back({cell(p, "ENCRYPTION"), cell(p, "HASH"), cell(p, "DH_GROUP")});
  }
  return out;
}

// The schema's algorithm names in charon's proposal keywords. "all" is
// every one, the strong and common first: the responder takes the first of
// its own list the initiator offers, and an IKEv2 initiator's key exchange
// guesses the first group (2048-bit MODP: strong and still fast).
struct Algorithm {
  std::string_view schema, charon;
};
constexpr Algorithm kEncryptions[] = {{"AES-256", "aes256"}, {"AES-192", "aes192"}, {"AES-128", "aes128"},
                                      {"3DES", "3des"}};
constexpr Algorithm kHashes[] = {{"SHA-256", "sha256"}, {"SHA-384", "sha384"}, {"SHA-512", "sha512"},
                                 {"SHA-1", "sha1"},     {"MD5", "md5"}};
constexpr Algorithm kDhGroups[] = {{"MODP-2048", "modp2048"}, {"ECP-256", "ecp256"},     {"MODP-3072", "modp3072"},
                                   {"ECP-384", "ecp384"},     {"MODP-4096", "modp4096"}, {"ECP-521", "ecp521"},
                                   {"MODP-6144", "modp6144"}, {"MODP-8192", "modp8192"}, {"MODP-1536", "modp1536"},
                                   {"MODP-1024", "modp1024"}};

// `name` ("all" or one of `table`) as charon's keywords, appended to `out`
// unless there already.
void addAlgorithms(std::vector<std::string_view>& out, std::span<const Algorithm> table, std::string_view name) {
  for (const Algorithm& a : table) {
    if ((name == "all" || name == a.schema) && std::find(out.begin(), out.end(), a.charon) == out.end()) {
      out.push_back(a.charon);
    }
  }
}

std::string joinedWithDashes(const std::vector<std::string_view>& parts) {
  std::string out;
  for (std::string_view p : parts) out += fmt::format("{}{}", out.empty() ? "" : "-", p);
  return out;
}

// "encryption-hash[-group...]" of one row.
std::string proposalText(const Proposal& p, const std::vector<std::string_view>& groups) {
  std::vector<std::string_view> parts;
  addAlgorithms(parts, kEncryptions, p.encryption);
  addAlgorithms(parts, kHashes, p.hash);
  parts.insert(parts.end(), groups.begin(), groups.end());
  return joinedWithDashes(parts);
}

std::vector<std::string> ikeProposals(const Connection& c) {
  std::vector<std::string> out;
  for (const Proposal& p : c.ikeProposals) {
    std::vector<std::string_view> groups;
    addAlgorithms(groups, kDhGroups, p.dhGroup);
    out.push_back(proposalText(p, groups));
  }
  return out;
}

// With PFS, the groups of the ISAKMP proposals (all of them when charon's
// defaults are used there), and an IPsec proposal of every algorithm when
// the table is empty: charon's default ESP proposals carry no group.
std::vector<std::string> espProposals(const Connection& c) {
  std::vector<std::string_view> groups;
  if (c.pfs) {
    for (const Proposal& p : c.ikeProposals) addAlgorithms(groups, kDhGroups, p.dhGroup);
    if (c.ikeProposals.empty()) addAlgorithms(groups, kDhGroups, "all");
  }
  std::vector<Proposal> rows = c.espProposals;
  if (rows.empty() && c.pfs) rows.push_back({"all", "all", ""});
  std::vector<std::string> out;
  for (const Proposal& p : rows) out.push_back(proposalText(p, groups));
  return out;
}

// What charon does to start the connection, after a failed attempt and
// when the peer is found dead.
struct StartActions {
  std::string_view start, dpd, keyingtries;
};
StartActions startActionsOf(const Connection& c) {
  switch (c.startup) {
    case Startup::Initiate: return {"start", "restart", "0"};
    // A failed attempt is not repeated: the next packet tries again.
    case Startup::OnTraffic: return {"trap", "trap", "1"};
    case Startup::Wait: break;
  }
  return {"none", "clear", "1"};
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

vici::Message childOf(const Connection& c, const Tunnel& t) {
  StartActions actions = startActionsOf(c);
  vici::Message child;
  child.addList("local_ts", localSelectors(c, t))
      .addList("remote_ts", remoteSelectors(c, t))
      .add("rekey_time", rekeyAt(c.saLifetime))
      .add("life_time", seconds(c.saLifetime));
  if (std::vector<std::string> esp = espProposals(c); !esp.empty()) child.addList("esp_proposals", esp);
  child.add("start_action", actions.start).add("dpd_action", actions.dpd);
  return child;
}

// The IKE options of load-conn before its local/remote sections.
void addIkeOptions(vici::Message& conn, const Connection& c) {
  conn.add("version", std::to_string(c.ikeVersion));
  if (c.modeConfig.server) conn.addList("pools", {c.id});
  if (c.remoteGateway != "%any") conn.addList("remote_addrs", {c.remoteGateway});
  if (std::vector<std::string> ike = ikeProposals(c); !ike.empty()) conn.addList("proposals", ike);
  conn.add("rekey_time", rekeyAt(c.ikeLifetime)).add("over_time", seconds(c.ikeLifetime - c.ikeLifetime * 9 / 10));
  conn.add("dpd_delay", c.dpd ? seconds(c.dpdDelay) : "0s");
  if (c.dpd && c.ikeVersion == 1) conn.add("dpd_timeout", seconds(c.dpdTimeout));
  if (c.forceEncap) conn.add("encap", "yes");
  conn.add("keyingtries", startActionsOf(c).keyingtries);
}

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
    c.x509.remoteCertRef = cell(row, "REMOTE_CERT_REF");
    c.x509.pinnedTwice = !c.x509.remoteCert.empty() && !c.x509.remoteCertRef.empty();
    if (const config::Row* pinned = rowOf(config, "REMOTE_CERTIFICATES", c.x509.remoteCertRef)) {
      c.x509.remoteCert = cell(*pinned, "CERTIFICATE");
    }
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
    c.startup = startupOf(cell(row, "CONNECTION_STARTUP"));
    c.ikeVersion = cell(row, "IKE_VERSION") == "ikev1" ? 1 : 2;
    c.ikeProposals = proposalsOf(row, "ISAKMP_PROPOSALS");
    c.espProposals = proposalsOf(row, "IPSEC_PROPOSALS");
    c.pfs = cell(row, "PFS") == "yes";
    c.ikeLifetime = durationCell(row, "IKE_LIFETIME");
    c.saLifetime = durationCell(row, "SA_LIFETIME");
    c.dpd = cell(row, "DPD") != "no";
    c.dpdDelay = durationCell(row, "DPD_DELAY");
    c.dpdTimeout = durationCell(row, "DPD_TIMEOUT");
    c.forceEncap = cell(row, "NAT_T") == "force";
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

std::string startupProblem(const Connection& c) {
  if (!c.initiates() || c.remoteGateway != "%any") return "";
  return fmt::format("CONNECTION_STARTUP is {} but REMOTE_GATEWAY is %any: a connection is initiated only to a "
                     "known peer (use wait, or name the peer)",
                     c.startup == Startup::Initiate ? "initiate" : "initiate-on-traffic");
}

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

std::string configurationError(const std::vector<Connection>& connections) {
  for (const Connection& c : connections) {
    std::string why = startupProblem(c);
    if (why.empty()) why = modeConfigProblem(c.modeConfig);
    if (why.empty() && c.x509.pinnedTwice) {
      why = "REMOTE_CERTIFICATE and REMOTE_CERT_REF both pin the peer's certificate: set one of them";
    }
    // The server hands the peer its address, so the peer starts (7.3.1.1: Wait, %any).
    if (why.empty() && c.modeConfig.server && c.initiates()) {
      why = "MODECFG is server, which waits for the peer to start: CONNECTION_STARTUP must be wait";
    }
    if (!why.empty()) return fmt::format("The VPN connection {}: {}.", c.name.empty() ? c.id : c.name, why);
  }
  return "";
}

std::string unsupportedReason(const Connection& c) {
  if (std::string why = modeConfigProblem(c.modeConfig); !why.empty()) return why;
  if (c.tunnels.empty()) return "it has no tunnel";
  if (std::string why = startupProblem(c); !why.empty()) return why;
  if (c.auth == AuthMethod::Psk) return c.psk.empty() ? "AUTH_METHOD is psk but PSK is empty" : "";
  const X509Credentials& x = c.x509;
  if (x.localCertRef.empty()) return "AUTH_METHOD is x509 but LOCAL_CERT_REF names no machine certificate";
  // Pinned by name but nothing uploaded: never the CA's trust instead.
  if (!x.remoteCertRef.empty() && x.remoteCert.empty()) {
    return "the remote certificate of REMOTE_CERT_REF has no CERTIFICATE";
  }
  if (x.remoteCert.empty() && x.remoteCaRef.empty()) {
    return x.remoteCertRef.empty() ? "AUTH_METHOD is x509 but neither REMOTE_CERTIFICATE, REMOTE_CERT_REF nor "
                                     "REMOTE_CA_REF says which peer certificate to accept"
                                   : "the remote certificate of REMOTE_CERT_REF has no CERTIFICATE";
  }
  if (x.remoteCert.empty() && x.remoteCa.empty()) return "the CA certificate of REMOTE_CA_REF has no CERTIFICATE";
  if (!x.problem.empty()) return x.problem;
  if (x.localCert.empty()) return "the machine certificate of LOCAL_CERT_REF was not read";
  return "";
}

vici::Message loadConnMessage(const Connection& c) {
  vici::Message children;
  for (const Tunnel& t : c.tunnels) children.addSection(t.id, childOf(c, t));
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
  addIkeOptions(conn, c);
  conn.addSection("local", std::move(local))
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
