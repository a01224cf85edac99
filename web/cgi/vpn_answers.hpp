// The answers of nph-vpn.cgi and nph-status.cgi?path=/vpn/con, made from the
// IPsec room's state of its connections (ipsec_service.hpp): pure functions,
// tested with given states.
//
// Where charon's words differ from the reference's (whose device ran pluto),
// the fields carry charon's: isakmp and ipsec are the SAs' unique ids (the
// reference's "#13"), isakmp-txt and ipsec-txt their states (ESTABLISHED,
// INSTALLED), the -ltime fields the time to the next rekeying, the -algo
// fields the algorithms in the reference's order (encryption_keysize, then
// integrity, PRF and DH group where the SA has them). A field that is not
// known (no SA yet, no NAT, no protocol or port restriction) stays empty.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "vpn/ipsec/ipsec_service.hpp"

namespace bulwark::web::cgi {

// 11.4.2.2: "NAME: state" for each connection.
std::string vpnStateLines(const std::vector<ipsec::ConnectionStatus>& connections);

// 11.4.2.3: for every enabled or activated connection, one block of
// "key value" lines (fullname ... ipsec-algo) per tunnel, or per peer up in
// it (several in a tunnel group): each with that peer's IKE SA, leftnet and
// rightnet the networks its CHILD_SA was narrowed to (11.4.4: the status of
// all tunnels). `uptime` is now.
std::string vpnFullStatus(const std::vector<ipsec::ConnectionStatus>& connections, std::chrono::seconds uptime);

// 11.4.3.4: "R OKVST1 id=… enabled=… activated=…" and, while activated,
// " ike=… ipsec=…": OK (established), DEAD (none), or charon's state name
// while it is being established or deleted. With several tunnels, ipsec is
// OK when all are established, else the first other tunnel's value.
std::string vpnSynstat(const ipsec::ConnectionStatus& connection);

// 11.4.4.2: for each instance cleared,
//   002 "NAME"[N] PEER: deleting connection
//   "NAME"[N] instance with peer PEER {isakmp=#0/ipsec=#0}
// then "cleared"; "unknown" when there is none. NAME is what the
// reference's device calls the tunnel ("MAI1693250436_1"): the connection's
// row id (synstat's id=) and the tunnel's number from 1, joined by '_' (not
// VPN_NAME, which may hold the quotes and blanks these lines delimit with);
// N is the instance: charon's unique id of the peer's IKE SA (swanctl's
// "#N"); PEER the peer's address. {isakmp=#0/ipsec=#0} says what is left of
// it: nothing.
std::string vpnClearLines(const std::vector<ipsec::ChannelInstance>& cleared);

// 11.7 /vpn/con: armed (charon has it loaded), ipsec (down, some or up
// tunnels established), isakmp (an IKE SA established), sa_count (tunnels
// established) and sa_count_conf (tunnels configured), per connection.
std::string vpnConStatus(const std::vector<ipsec::ConnectionStatus>& connections);

}  // namespace bulwark::web::cgi
