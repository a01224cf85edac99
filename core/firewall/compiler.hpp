// The packet filter's compiler: a pure function from the configuration and
// the board's interfaces to the ruleset of our own nftables table (router
// mode, reference 3.6.3 and 4.4):
//   input    policy drop: loopback; the checks below; established and
//            related accepted; from the internal network the appliance's
//            services (HTTPS_PORT, SSH, DNS, DHCP, NTP, ICMP); from the
//            external side DHCP replies, IKE and ESP from the IPsec
//            connections' peers (from anywhere where one is %any or a
//            name), and the rows of HTTPS_REMOTE_ACCESS_RULES /
//            SSH_REMOTE_ACCESS_RULES (remoteAccess in compiler.cpp)
//   forward  policy drop: the checks below; established and related
//            accepted; connections of NAT_PORT_FORWARDING (ct status dnat)
//            accepted, logged as fw-portforwarding (and those of the
//            OpenVPN connections' PORT_FORWARDING, fw-openvpn-portfw_<ROWID>);
//            the rule records, the user firewall (both before the VPN
//            chains: an active record's accept holds for tunnelled packets
//            too), the VPN connections' chains (below); internal ->
//            external through fw-outgoing
//            (FW_OUTGOING), external -> internal through fw-incoming
//            (FW_INCOMING); each ends in a drop, logged with
//            FW_*_LOG_DEFAULT
//   output   policy accept
//   prerouting (nat): NAT_PORT_FORWARDING's DNAT from the external side
//            (not out of an IPsec SA) and the OpenVPN connections'
//            PORT_FORWARDING from their devices, each only to the
//            appliance's own addresses ("fib daddr type local")
//   postrouting (nat): NAT_MASQUERADING, except packets into an IPsec tunnel
// The checks at the head of input and forward (before established
// connections are accepted, since a ping's later echo requests are
// "established"), each jumping to a chain that logs at most 10 lines a
// second (the floods one, 4.4.16) and drops: anti-spoofing on the external
// port (sources of INT_ADDRESSES' networks or 127.0.0.0/8:
// "fw-antispoofing-ext1-0- act=DROP"), invalid connection tracking
// ("fw-invalid-<hook>-0-"), with FW_CONSISTENCY_CHECKS impossible TCP flags
// and port 0 ("fw-unclean-<hook>-0-"), new TCP connections and ICMP echo
// requests per second from each side over DOS_{SYN,ICMP}_{IN,OUT}_MAX (the
// DMZ side with the _OUT_ limits; "fw-SYN-flood", "fw-ICMP-flood"; each
// hook has its own limiter) and echo requests longer than FW_ICMP_MAXLEN
// ("fw-ICMP-maxlen"). Packets the appliance sends are not checked
// (fw-invalid-output and fw-unclean-output, which the reference lists "for
// completeness", do not occur).
// Runs of consecutive table rows with one verdict and no logging may be
// reordered freely, so each protocol's rows of such a run (eight or more)
// become one lookup in a set of concatenated ranges (address . address .
// port ...), named <chain>-<first row>-<protocol>, where no two of them
// overlap and some row has an address (a set's key is IPv4; rows of ports
// alone also match IPv6 as rules); the rule's comment names the rows. A set's lookup costs the same
// for 10 or 50,000 rows, and the kernel loads it as a few messages.
// Rules with LOG = yes log through NFLOG group 1 with the prefix of
// reference 4.4.3: "fw-incoming-<rule number>-<log id> act=<ACCEPT|DROP|
// REJECT>", rule number 0 for the built-in rules; the log id is a hash of
// the rule table, so it changes with the table and names one version of it.
// Rule records (FW_RULESETS, reference 4.4.11 and 11.6): each record's SET
// is a chain of its own, "fw-ruleset_<ROWID>", logged as
// "fw-ruleset_<ROWID>-<row>-<log id>", that falls through when no rule
// matches; forwarded packets in either direction pass the dispatch chain
// "fw-rulesets" first, which jumps to the active records in table order.
// Switching a record replaces only the dispatch chain (recordDispatch).
// With a DMZ port, forward also jumps to the DMZ tables of 4.4.10
// (FW_DMZ_INCOMING_WAN: WAN -> DMZ, FW_DMZ_OUTGOING_WAN: DMZ -> WAN,
// FW_DMZ_INCOMING_LAN: LAN -> DMZ, FW_DMZ_OUTGOING_LAN: DMZ -> LAN; the
// reference's table and one of its examples disagree on the LAN pair: we
// follow the table), ending in a drop logged with FW_DMZ_LOG_DEFAULT; the
// anti-spoofing of the external port then also refuses DMZ_ADDRESSES'
// networks, and the DMZ port refuses the internal ones and 127.0.0.0/8
// ("fw-antispoofing-dmz-0- act=DROP").
// The user firewall's chain "fw-ufw" follows the rule records in forward
// (userFirewall below).
// The VPN connections' chains: vpnFirewalls in compiler.cpp; what an
// enabled IPsec connection's tunnel should carry but does not go into an
// SA is dropped (logged as its outgoing default), and packets into an SA
// are not masqueraded. Remote access (HTTPS, SSH) from one external
// address beyond kThrottleHttps / kThrottleSsh connections at once is
// dropped and logged as "fw-throttle-0- act=DROP" (4.4.4; counted per
// source in the dynamic sets fw-throttle-https|ssh). Packets from a tunnel
// to the appliance itself get in only by the access rows for "vpn".
#pragma once

#include <set>
#include <string>
#include <vector>
#include <string_view>

#include "common/status.hpp"
#include "config/config.hpp"
#include "firewall/log_format.hpp"
#include "firewall/ruleset.hpp"

namespace bulwark::firewall {

constexpr std::uint16_t kLogGroup = 1;

// The kernel's names of the board's interfaces (platform/board.hpp).
struct Interfaces {
  std::string external;
  std::string internal;
  std::string dmz;  // "" where the board has none
};

// What the configuration alone does not say: the state of the rule records.
struct State {
  std::set<std::string> activeRecords;  // ROWIDs of FW_RULESETS
  // Firewall users logged in to the user firewall, in login order.
  struct Login {
    std::string user;
    std::uint32_t address = 0;  // host order: the %authorized_ip
    bool operator==(const Login&) const = default;
  };
  std::vector<Login> logins;
  // IPsec connections started at run time although ENABLED is no
  // (nph-vpn.cgi up, a service contact): their tunnels' traffic is kept
  // out of clear text like an enabled connection's.
  std::set<std::string> startedVpns;
};

Result<Ruleset> compile(const config::Config& config, const Interfaces& interfaces, const State& state = {});

// The state at start: each rule record in its INITIAL_STATE.
State initialState(const config::Config& config);

// The dispatch chain of the rule records in `state` (a part of compile's
// ruleset, rebuilt alone when a record is switched).
constexpr const char* kRecordDispatch = "fw-rulesets";
Chain recordDispatch(const config::Config& config, const State& state);
std::string recordChain(const std::string& rowid);

// The user firewall's chain: for each login, the rules of every enabled
// USERFW_TEMPLATE that lists the user, from the login's address (where
// TEMPLATE_SRC_IP is %authorized_ip), accepted, logged as
// "fw-ufw_<TEMPLATE ROWID>-<row>-<log id> act=ACCEPT". Templates bound to
// a VPN connection (VPN_CONN_REF) open nothing yet (the VPN issue). Each
// rule counts its packets (the inactivity timeout); `owners`, if given,
// gets the index in state.logins of each rule's login.
constexpr const char* kUserFirewall = "fw-ufw";
// Whether a USERFW_TEMPLATE row lists `user` in TEMPLATE_USERS.
bool templateListsUser(const config::Row& tmpl, const std::string& user);
Result<Chain> userFirewall(const config::Config& config, const State& state,
                           std::vector<std::size_t>* owners = nullptr);

// The device of the OpenVPN connection in row `index` of
// OPENVPN_CONNECTION ("tun0", ...): its firewall chains match it, so the
// OpenVPN room must give the connection this device.
std::string openvpnDevice(std::size_t index);

// The tunnels of the IPsec connections (VPN_CONNECTION's TUNNEL rows, or
// for a mode configuration server its local networks to its pool), in
// table order; an error names a network that is not one.
Result<std::vector<VpnTunnel>> vpnTunnels(const config::Config& config);

// The device kernel-libipsec (charon's own ESP, where the kernel has none)
// sends and receives tunnelled packets through.
constexpr const char* kIpsecDevice = "ipsec0";

// The log id of a rule table: 8-4-4-4-12 hex digits from a hash of its name
// and rows.
std::string logId(const config::Config& config, std::string_view table);
// The same for one rule record (its row and its SET).
std::string recordLogId(const config::Row& record);

}  // namespace bulwark::firewall
