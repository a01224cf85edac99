// IPsec connections as typed values: the VPN_CONNECTION rows of the
// configuration turned into what charon is told over VICI (load-conn and
// load-shared messages). Pure functions, tested with golden messages.
//
// charon knows a connection by its row id (stable across renames and
// reordering), and each tunnel, a CHILD_SA, by the tunnel row's id.
// The schema maps as follows (the reference names no variables for these
// options; the names are ours):
// - REMOTE_GATEWAY is the peer (remote_addrs; %any accepts any peer).
// - CONNECTION_STARTUP: wait (start_action none; a failed attempt is not
//   repeated, a dead peer's SAs are cleared), initiate (start, retried
//   forever, a dead peer's connection restarted), initiate-on-traffic (trap:
//   the kernel's acquire for the first packet starts it; a dead peer's is
//   trapped again). Initiating needs a peer: with %any it is refused
//   (configurationError).
// - IKE_VERSION is load-conn's version (1 or 2).
// - ISAKMP_PROPOSALS rows are IKE proposals, "encryption-hash-group" with
//   "all" expanded (charon takes the hash as integrity and PRF);
//   IPSEC_PROPOSALS rows are ESP proposals "encryption-hash", with the
//   ISAKMP groups appended when PFS is yes. An empty table leaves charon's
//   defaults.
// - IKE_LIFETIME and SA_LIFETIME are hard lifetimes (rekeyed at 90 %; IKEv1
//   IKE SAs are reauthenticated instead, as charon does).
// - DPD, DPD_DELAY, DPD_TIMEOUT: dpd_delay (0: off) and, for IKEv1,
//   dpd_timeout.
// - NAT_T: force is encap=yes (ESP in UDP even without a NAT).
// - AUTH_METHOD psk with PSK is the secret, owned by the peer's address when
//   REMOTE_GATEWAY is one, which is then also the peer's identity.
//   AUTH_METHOD x509 authenticates with the machine certificate LOCAL_CERT_REF
//   (its key is loaded with load-key, credentials.hpp) and accepts the peer's
//   certificate pinned in REMOTE_CERTIFICATE or any issued by the CA
//   certificate REMOTE_CA_REF; LOCAL_ID and REMOTE_ID are the identities, by
//   default the certificates' subject DNs (any identity for a CA).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "config/config.hpp"
#include "vpn/ipsec/vici.hpp"

namespace bulwark::ipsec {

struct Tunnel {
  std::string id;  // row id: the CHILD_SA's name
  std::string localNet, remoteNet;
  bool operator==(const Tunnel&) const = default;
};

enum class AuthMethod { X509, Psk };

// "Connection startup" (reference 7.3.1.1, 11.3).
enum class Startup { Wait, Initiate, OnTraffic };

// One row of ISAKMP_PROPOSALS or IPSEC_PROPOSALS, as the schema spells the
// algorithms ("AES-256", "SHA-1", "MODP-2048", "all"); dhGroup is "" for ESP.
struct Proposal {
  std::string encryption, hash, dhGroup;
  bool operator==(const Proposal&) const = default;
};

// Mode configuration as a server (reference 7.3.1: MODECFG server): each
// peer is given an address of `pool` (a tranche of size `tranche`; charon
// gives single addresses, so only 32 is served) and reaches `localNets`.
// The connection then has one tunnel of its own, named "<ROWID>-modecfg",
// from the local networks to the pool (charon narrows it to the peer's
// address), instead of its TUNNEL rows; the pool is loaded with load-pool
// under the connection's row id and named in the connection's `pools`.
struct ModeConfig {
  bool server = false;
  std::vector<std::string> localNets;  // MODECFG_LOCAL_NET, or the rows of MODECFG_LOCAL_NETS
  std::string pool;                    // MODECFG_REMOTE_POOL
  int tranche = 32;                    // MODECFG_REMOTE_TRANCHE
  bool operator==(const ModeConfig&) const = default;
};

// The certificates of an X.509 connection. The PEM texts are part of the
// value, so that a changed certificate makes a changed connection (loaded again).
struct X509Credentials {
  std::string localCertRef;  // MACHINE_CERTIFICATES row id
  std::string localCert;     // its certificate (PEM), filled in by resolveMachineCertificates
  std::string localSubject;  // its subject DN in DER, hex (the default local identity)
  std::string remoteCaRef;   // CA_CERTIFICATES row id
  std::string remoteCa;      // its CERTIFICATE (PEM)
  std::string remoteCert;    // REMOTE_CERTIFICATE, or REMOTE_CERT_REF's (PEM): the only certificate the peer may show
  std::string remoteCertRef;  // REMOTE_CERTIFICATES row id
  bool pinnedTwice = false;   // both REMOTE_CERTIFICATE and REMOTE_CERT_REF are set (refused)
  std::string remoteSubject; // its subject DN in DER, hex (the default remote identity)
  std::string localId, remoteId;  // LOCAL_ID, REMOTE_ID as configured; "" = the default
  std::vector<std::string> crls;  // every CRL of the CRLS table (PEM): charon checks the peer against them
  std::string problem;       // why the certificates cannot be used ("" when they can)
  bool operator==(const X509Credentials&) const = default;
};

struct Connection {
  std::string id;  // row id: the IKE_SA configuration's name in charon
  std::string name;
  bool enabled = false;
  AuthMethod auth = AuthMethod::X509;
  std::string psk;
  X509Credentials x509;
  std::string remoteGateway;  // "%any", a host name or an IPv4 address
  Startup startup = Startup::Wait;
  int ikeVersion = 2;
  std::vector<Proposal> ikeProposals, espProposals;
  bool pfs = false;
  std::chrono::seconds ikeLifetime{0}, saLifetime{0};
  bool dpd = true;
  std::chrono::seconds dpdDelay{30}, dpdTimeout{150};
  bool forceEncap = false;  // NAT_T force
  std::vector<Tunnel> tunnels;
  ModeConfig modeConfig;
  bool operator==(const Connection&) const = default;

  // We start it (at once or on traffic), rather than wait for the peer.
  bool initiates() const { return startup != Startup::Wait; }
};

// Every VPN_CONNECTION row, in order.
std::vector<Connection> connectionsOf(const config::Config& config);

// Why charon cannot be given the connection yet ("" when it can): it is
// supported and has what it needs (for X.509: the certificates, see
// resolveMachineCertificates).
std::string unsupportedReason(const Connection& connection);

// What the configuration asks of the connections that cannot be ("" when
// nothing): a connection that initiates without a peer address, a mode
// configuration that cannot be served (a tranche other than 32, no local
// network) or that initiates, a peer certificate pinned twice
// (REMOTE_CERTIFICATE and REMOTE_CERT_REF). The IPsec module refuses such a
// change (nothing changes).
std::string configurationError(const std::vector<Connection>& connections);

// The load-conn argument: one section named by the row id.
vici::Message loadConnMessage(const Connection& connection);
// The load-pool argument of a mode configuration server: its pool, named
// by the row id.
vici::Message loadPoolMessage(const Connection& connection);
// The load-shared argument (id = the row id, so that unload-shared finds it).
vici::Message loadSharedMessage(const Connection& connection);

}  // namespace bulwark::ipsec
