// IPsec connections as typed values: the VPN_CONNECTION rows of the
// configuration turned into what charon is told over VICI (load-conn and
// load-shared messages). Pure functions, tested with golden messages.
//
// charon knows a connection by its row id (stable across renames and
// reordering), and each tunnel, a CHILD_SA, by the tunnel row's id.
// What the schema has today maps as follows: REMOTE_GATEWAY is the peer
// (remote_addrs; %any accepts any peer and then only waits), IKE_LIFETIME and
// SA_LIFETIME are hard lifetimes (rekeyed at 90 %), AUTH_METHOD psk with PSK
// is the secret, owned by the peer's address when REMOTE_GATEWAY is one,
// which is then also the peer's identity. AUTH_METHOD x509 authenticates
// with the machine certificate LOCAL_CERT_REF (its key is loaded with
// load-key, credentials.hpp) and accepts the peer's certificate pinned in
// REMOTE_CERTIFICATE or any issued by the CA certificate REMOTE_CA_REF;
// LOCAL_ID and REMOTE_ID are the identities, by default the certificates'
// subject DNs (any identity for a CA). IKEv2 only, charon's default
// proposals; a connection with a peer address is initiated by us and retried
// forever, with dead peer detection restarting it.
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
  std::string remoteCert;    // REMOTE_CERTIFICATE (PEM): the only certificate the peer may show
  std::string remoteSubject; // its subject DN in DER, hex (the default remote identity)
  std::string localId, remoteId;  // LOCAL_ID, REMOTE_ID as configured; "" = the default
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
  std::chrono::seconds ikeLifetime{0}, saLifetime{0};
  std::vector<Tunnel> tunnels;
  ModeConfig modeConfig;
  bool operator==(const Connection&) const = default;

  // We start it (a known peer), rather than wait for the peer.
  bool initiates() const { return remoteGateway != "%any"; }
};

// Every VPN_CONNECTION row, in order.
std::vector<Connection> connectionsOf(const config::Config& config);

// Why charon cannot be given the connection yet ("" when it can): it is
// supported and has what it needs (for X.509: the certificates, see
// resolveMachineCertificates).
std::string unsupportedReason(const Connection& connection);

// The load-conn argument: one section named by the row id.
vici::Message loadConnMessage(const Connection& connection);
// The load-pool argument of a mode configuration server: its pool, named
// by the row id.
vici::Message loadPoolMessage(const Connection& connection);
// The load-shared argument (id = the row id, so that unload-shared finds it).
vici::Message loadSharedMessage(const Connection& connection);

}  // namespace bulwark::ipsec
