// What charon has established: its IKE SAs with their CHILD_SAs, kept from
// what it says over VICI, the answer of list-sas and the events ike-updown,
// child-updown, ike-rekey and child-rekey (the vici plugin's README gives
// their messages: one section per IKE SA, named by its configuration, which
// for us is the connection's row id; the CHILD_SAs in its `child-sas`, each
// named by its configuration, the tunnel's row id, in `name`). Pure: no loop,
// no socket; times are uptimes, so that "rekeyed in" stays true however late
// it is asked.
//
// charon reports establishment attempts that fail with no event at all (an
// IKE SA that never was ESTABLISHED goes without ike-updown), so what is not
// here was not established, and why is not said here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vpn/ipsec/vici.hpp"

namespace bulwark::ipsec {

struct ChildSa {
  std::uint32_t uniqueId = 0;
  std::string name;        // the CHILD_SA configuration: the tunnel's row id
  std::string state;       // charon's: INSTALLED, REKEYING, DELETING, ...
  std::string algorithms;  // "AES_CBC_128-HMAC_SHA2_256_128", "AES_GCM_16_256"
  std::optional<std::chrono::seconds> rekeyAt;  // the uptime at which charon rekeys it
  std::vector<std::string> localTs, remoteTs;
  bool operator==(const ChildSa&) const = default;

  // It carries traffic (INSTALLED, or INSTALLED and being rekeyed or updated).
  bool established() const;
};

struct IkeSa {
  std::uint32_t uniqueId = 0;
  std::string name;   // the IKE configuration: the connection's row id
  std::string state;  // charon's: CONNECTING, ESTABLISHED, REKEYING, DELETING, ...
  std::string localHost, localPort, localId;
  std::string remoteHost, remotePort, remoteId;
  bool natLocal = false, natRemote = false;  // a NAT seen in front of this side, of the peer
  std::string algorithms;                     // "AES_CBC_128-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-CURVE_25519"
  std::optional<std::chrono::seconds> rekeyAt;  // the uptime at which charon rekeys (or reauthenticates) it
  std::vector<ChildSa> children;
  bool operator==(const IkeSa&) const = default;

  // It can be used (ESTABLISHED, or established and being rekeyed).
  bool established() const;
};

// The IKE SA of a list-sa message or event section `name`, read at uptime
// `now`, with the CHILD_SAs in it.
IkeSa ikeSaOf(const std::string& name, const vici::Message& section, std::chrono::seconds now);
ChildSa childSaOf(const std::string& key, const vici::Message& section, std::chrono::seconds now);

class SaTable {
 public:
  void clear() { sas_.clear(); }
  // What list-sas listed: everything charon has.
  void replace(const std::vector<IkeSa>& sas);
  // An event (ike-updown, child-updown, ike-rekey, child-rekey) at uptime
  // `now`. Other events are ignored.
  void apply(std::string_view event, const vici::Message& message, std::chrono::seconds now);

  // The IKE SAs of the connection `id`, established ones first, then by age.
  std::vector<const IkeSa*> of(std::string_view id) const;
  const std::map<std::uint32_t, IkeSa>& all() const { return sas_; }

 private:
  std::map<std::uint32_t, IkeSa> sas_;  // by charon's unique id
};

}  // namespace bulwark::ipsec
