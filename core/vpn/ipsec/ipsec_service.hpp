// What the IPsec room offers the others: the state of every configured
// connection and its tunnels, the commands that switch a connection on and
// off at run time (nph-vpn.cgi up/down/synup/syndown, nph-action.cgi
// vpn/start|stop, later the CMD contact), and the VpnStateChanged event.
//
// A connection is `enabled` in the configuration (ENABLED) or `activated`,
// temporarily, through these commands (reference 11.4.3.4: "temporarily
// active"); activation is the core's run-time state, not saved, and only a
// disabled connection that initiates (CONNECTION_STARTUP initiate or
// initiate-on-traffic, the reference's "Connection startup", not wait) and
// has a tunnel can be activated (11.3.1, 11.3.2).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipv4.hpp"
#include "common/status.hpp"
#include "vpn/ipsec/sa_state.hpp"

namespace bulwark::ipsec {

// Reference 11.4.1: void (inactive: not enabled or activated, or an error),
// ready (charon has it, no tunnel is up), active (at least one tunnel is up).
enum class VpnState { Void, Ready, Active };
std::string_view stateName(VpnState state);

struct TunnelStatus {
  std::string id;  // row id: the CHILD_SA's name
  std::string localNet, remoteNet;
  std::optional<ChildSa> sa;  // its CHILD_SA (an established one first), if charon has one
  bool established() const { return sa && sa->established(); }
};

struct ConnectionStatus {
  std::string id;  // row id: the name charon knows it by
  std::string name;
  bool enabled = false;    // ENABLED
  bool activated = false;  // switched on at run time
  bool initiates = false;  // CONNECTION_STARTUP initiate or initiate-on-traffic, not wait
  int ikeVersion = 2;      // IKE_VERSION: synup's progress lines are "P IKEv1" or "P IKEv2"
  bool armed = false;      // charon has it loaded
  std::string error;       // why charon does not have it although it should; "" otherwise
  std::string remoteGateway;
  std::optional<IkeSa> ike;  // its IKE SA (an established one first), if any
  // All its IKE SAs, established ones first: a tunnel group (REMOTE_GATEWAY
  // %any and a large REMOTE_NET) has one per peer, each with the CHILD_SAs
  // charon narrowed to the subnet that peer asked for.
  std::vector<IkeSa> sas;
  std::vector<TunnelStatus> tunnels;

  bool wanted() const { return enabled || activated; }
  std::size_t establishedTunnels() const;
  VpnState state() const;
};

// Published on the event bus when a connection's state or number of
// established tunnels changes, and when a connection comes or goes (then
// as Void with no tunnels).
struct VpnStateChanged {
  std::string id, name;
  VpnState state = VpnState::Void;
  std::size_t tunnelsUp = 0, tunnels = 0;
};

// A tunnel by its networks (reference 11.4.4: channel=LNET:RNET), as the
// network addresses with their prefix lengths.
struct Channel {
  Ipv4Prefix local, remote;
  bool operator==(const Channel&) const = default;
};

// "10.1.0.0/16:192.168.23.0/24": two IPv4 networks (a.b.c.d/n, or a.b.c.d
// for a /32) joined by ':'; host bits are dropped. The error says what is
// wrong with the text, which it does not repeat.
Result<Channel> parseChannel(std::string_view text);

// Reference 11.4.4.1: unknown, ready or active.
enum class ChannelState { Unknown, Ready, Active };
std::string_view channelStateName(ChannelState state);

// One peer's instance of a connection whose established CHILD_SA has
// exactly the channel's networks as its traffic selectors (one each).
struct ChannelInstance {
  std::string connectionId, connectionName;
  std::size_t tunnelNumber = 0;  // the tunnel (TUNNEL row) the CHILD_SA is of, from 1
  std::uint32_t ikeUniqueId = 0;  // charon's unique id of the IKE SA
  std::string peer;               // the IKE SA's remote address
  bool operator==(const ChannelInstance&) const = default;
};

// The instances carrying `channel`, in the order of `all` and of the IKE SAs.
std::vector<ChannelInstance> channelInstances(const std::vector<ConnectionStatus>& all, const Channel& channel);

// active: an established CHILD_SA has exactly those networks, whether of a
// tunnel configured with them or narrowed within a tunnel group; ready: a
// tunnel of a wanted connection charon has loaded (without an error) is
// configured with those networks and waits; unknown otherwise.
ChannelState channelState(const std::vector<ConnectionStatus>& all, const Channel& channel);

// One line of a synup answer, with its "\n"; `last` for the final one.
using SynupLine = std::function<void(std::string line, bool last)>;

class IpsecService {
 public:
  virtual ~IpsecService() = default;

  // Every configured connection (VPN_CONNECTION), in table order.
  virtual std::vector<ConnectionStatus> connections() const = 0;
  // Asks charon for all its SAs (list-sas), then calls `done`; at once when
  // charon cannot be asked.
  virtual void refresh(std::function<void()> done) = 0;
  // Activates the connection with row id `id`: charon is given it and
  // initiates it. The error says which precondition of reference 11.3 is
  // not met; nothing changes then.
  virtual Status activate(const std::string& id) = 0;
  // Deactivates it: its SAs are deleted and charon forgets it. The same
  // preconditions; an inactive connection stays as it is.
  virtual Status deactivate(const std::string& id) = 0;
  // Calls `done(true)` once charon has no IKE SA of `id` left, or
  // `done(false)` after `timeout`.
  virtual void whenGone(const std::string& id, std::chrono::milliseconds timeout,
                        std::function<void(bool gone)> done) = 0;
  // nph-vpn.cgi?cmd=synup (reference 11.4.3.3, synup.hpp): activates and
  // establishes `id` now, telling `line` each progress line as it happens,
  // then the final one. The result cancels: `line` is not called again and
  // an activation the attempt made is withdrawn.
  virtual std::function<void()> synup(const std::string& id, SynupLine line) = 0;
  // Deletes the IKE SA with charon's unique id `ikeUniqueId` (with its
  // CHILD_SAs, telling the peer), then asks charon for its SAs again, so that
  // connections() no longer has it, and calls `done`.
  virtual void terminateIke(std::uint32_t ikeUniqueId, std::function<void(Status)> done) = 0;
  // The lines of the last 100 synup commands, oldest first (reference 11.5.1).
  virtual std::string synupDiagnostics() const = 0;
};

// The connections of `all` named `name` (VPN_NAME), or all of them for "*".
std::vector<ConnectionStatus> named(const std::vector<ConnectionStatus>& all, std::string_view name);

}  // namespace bulwark::ipsec
