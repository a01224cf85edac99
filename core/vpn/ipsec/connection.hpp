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
// which is then also the peer's identity. IKEv2 only, charon's default
// proposals, no identities of our own (charon uses the addresses); a connection with a peer address is initiated by us
// and retried forever, with dead peer detection restarting it.
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

struct Connection {
  std::string id;  // row id: the IKE_SA configuration's name in charon
  std::string name;
  bool enabled = false;
  AuthMethod auth = AuthMethod::X509;
  std::string psk;
  std::string remoteGateway;  // "%any", a host name or an IPv4 address
  std::chrono::seconds ikeLifetime{0}, saLifetime{0};
  std::vector<Tunnel> tunnels;
  bool operator==(const Connection&) const = default;

  // We start it (a known peer), rather than wait for the peer.
  bool initiates() const { return remoteGateway != "%any"; }
};

// Every VPN_CONNECTION row, in order.
std::vector<Connection> connectionsOf(const config::Config& config);

// Why charon cannot be given the connection yet ("" when it can): it is
// what this step supports (pre-shared keys) and has what it needs.
std::string unsupportedReason(const Connection& connection);

// The load-conn argument: one section named by the row id.
vici::Message loadConnMessage(const Connection& connection);
// The load-shared argument (id = the row id, so that unload-shared finds it).
vici::Message loadSharedMessage(const Connection& connection);

}  // namespace bulwark::ipsec
