#!/usr/bin/env bash
# A central VPN gateway with a tunnel group (reference 11.4.4), in network
# namespaces of this test's own:
#   hostA (192.168.1.10) -- gw: bulwark's core (192.168.1.1 | 172.16.0.1)
#     -- wan: a router (172.16.0.254 | 172.16.N.254) -- peerN: charon-systemd
#        with a swanctl.conf this test writes (172.16.N.1), N = 1, 2, 3
#   peer1 (10.0.1.1) -- hostB (10.0.1.10)
# The gateway has one connection: PSK, REMOTE_GATEWAY %any, one tunnel
# 192.168.1.0/24 === 10.0.0.0/16. Each peer initiates with its own /24 of it
# (charon narrows the group's selectors to it). Checks:
#   - all three come up: an IKE SA each, with a CHILD_SA of exactly the
#     peer's /24; hostA pings hostB through peer1's tunnel;
#   - nph-vpn.cgi?cmd=status&channel=LNET:RNET: active for each peer's /24,
#     ready for the group's own networks (loaded, waiting), unknown for a
#     /24 no peer has; a channel that is not LNET:RNET is F EINVAL;
#     cmd=status without a name has a block per peer;
#   - cmd=clear&channel= for peer2's /24 answers the reference's lines
#     (NAME = the connection's row id and tunnel number, [N] = the IKE SA's
#     unique id, the peer's address) and deletes exactly that IKE SA: peer2
#     has none left, the other two stay (list-sas), its channel is then
#     unknown (the peers do not initiate again), a second clear is unknown;
#   - mode configuration: the connection given a pool (MODECFG server,
#     MODECFG_REMOTE_POOL) hands peer3, which asks for a virtual IP, an
#     address of that pool.
# Needs root, ip, busybox, charon-systemd, swanctl, curl. Usage: ipsec_group_test.sh BULWARK
set -euo pipefail
bin=$(realpath "$1")
id=$$
hostA=bw-gha-$id gw=bw-ggw-$id wan=bw-gwan-$id hostB=bw-ghb-$id
peers=(bw-gp1-$id bw-gp2-$id bw-gp3-$id)
tmp=$(mktemp -d -t bulwark-ipsec-group.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "$hostA" "$gw" "$wan" "$hostB" "${peers[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "ipsec_group_test: FAIL: $*"
  echo "--- core log"; tail -"${FAIL_LINES:-40}" "$tmp/core.log" || true
  for n in 1 2 3; do echo "--- peer$n log"; tail -10 "$tmp/peer$n.log" || true; done
  exit 1
}
# eventually, start_strongswan_peer; gaiconfig, gw_sas, cgi, answers, addr, make_namespaces, start_core
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ipsec_lib.sh"
peer_sas() { swanctl --list-sas --uri "unix://$tmp/peer$1/charon.vici" 2>&1; }
channel() { cgi "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:$1"; }
# The gateway's IKE SAs as "UNIQUEID PEER" lines.
gw_instances() {
  gw_sas | awk '/^MAIv300000001: #/ { sub("#", "", $2); sub(",", "", $2); uid = $2 }
                /^  remote / && uid != "" { split($4, a, "["); print uid, a[1]; uid = "" }'
}
# The gateway's CHILD_SAs: INSTALLED ones with exactly the peer's /24.
gw_child_of() { gw_sas | grep -A6 "^  MAIv300000002: #.*INSTALLED, TUNNEL" | grep -q "^    remote 10.0.$1.0/24$"; }
all_up() { for n in 1 2 3; do gw_child_of "$n" || return 1; done; }

# --- the network: the gateway and the peers behind a router ---
make_namespaces "$hostA" "$gw" "$wan" "$hostB" "${peers[@]}"
ip link add lan0 netns "$gw" type veth peer name eth0 netns "$hostA"
ip link add wan0 netns "$gw" type veth peer name gw netns "$wan"
addr "$hostA" eth0 192.168.1.10/24
addr "$gw" lan0 192.168.1.1/24
addr "$gw" wan0 172.16.0.1/24
addr "$wan" gw 172.16.0.254/24
ip -n "$gw" route add default via 172.16.0.254
ip netns exec "$wan" sysctl -qw net.ipv4.ip_forward=1
for n in 1 2 3; do
  p=${peers[$((n - 1))]}
  ip link add wan0 netns "$p" type veth peer name "p$n" netns "$wan"
  addr "$wan" "p$n" "172.16.$n.254/24"
  addr "$p" wan0 "172.16.$n.1/24"
  ip -n "$p" route add default via "172.16.$n.254"
done
# peer1's LAN has hostB on it; the others' have their address on lo (charon
# routes into the tunnel from an address of the local selector).
ip -n "${peers[1]}" addr add 10.0.2.1/24 dev lo
ip -n "${peers[2]}" addr add 10.0.3.1/24 dev lo
ip link add lan0 netns "${peers[0]}" type veth peer name eth0 netns "$hostB"
addr "${peers[0]}" lan0 10.0.1.1/24
addr "$hostB" eth0 10.0.1.10/24
ip netns exec "${peers[0]}" sysctl -qw net.ipv4.ip_forward=1
ip -n "$hostA" route add default via 192.168.1.1
ip -n "$hostB" route add default via 10.0.1.1
ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
ping_through() { ip netns exec "$hostA" busybox ping -c 1 -W 1 10.0.1.10; }
if ping_through >/dev/null 2>&1; then fail "hostB is reachable without a tunnel"; fi

# --- the peers: their own charon and swanctl.conf, each with its /24 ---
peer_conf() {
  local n=$1 vips=${2:-}
  cat >"$tmp/peer$n/swanctl.conf" <<CONF
connections {
  gw {
    version = 2
    local_addrs = 172.16.$n.1
    remote_addrs = 172.16.0.1
    $vips
    local { auth = psk }
    remote { auth = psk }
    children {
      net {
        local_ts = ${3:-10.0.$n.0/24}
        remote_ts = 192.168.1.0/24
      }
    }
  }
}
secrets {
  ike-gw { secret = "group-psk-2026" }
}
CONF
  swanctl --load-all --clear --noprompt --file "$tmp/peer$n/swanctl.conf" --uri "unix://$tmp/peer$n/charon.vici" \
    >/dev/null || fail "peer$n's swanctl.conf did not load"
}
for n in 1 2 3; do
  start_strongswan_peer "${peers[$((n - 1))]}" "$tmp/peer$n" || fail "peer$n's charon did not start"
  eventually test -S "$tmp/peer$n/charon.vici" || fail "peer$n has no VICI socket"
  peer_conf "$n"
done

# --- the gateway: one tunnel-group connection ---
start_core
gaiconfig --set-all >/dev/null <<ATV || fail "the connection was refused"
VPN_CONNECTION = {
  {
    ROWID = "MAIv300000001"
    AUTH_METHOD = "psk"
    PSK = "group-psk-2026"
    REMOTE_GATEWAY = "%any"
    TUNNEL = {
      { ROWID = "MAIv300000002" LOCAL_NET = "192.168.1.0/24" REMOTE_NET = "10.0.0.0/16" }
    }
    VPN_NAME = "group"
  }
}
// End of configuration profile
ATV
eventually grep -qF "ipsec: connection group loaded" "$tmp/core.log" || fail "the connection was not loaded"
# Loaded and waiting: the group's own networks are ready, no /24 is known.
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.0.0/16" "ready"
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.1.0/24" "unknown"

# --- 1. three peers, each with its own /24 ---
for n in 1 2 3; do
  swanctl --initiate --child net --timeout 10 --uri "unix://$tmp/peer$n/charon.vici" >"$tmp/initiate$n" 2>&1 ||
    fail "peer$n could not establish: $(tail -5 "$tmp/initiate$n")"
done
eventually all_up || fail "not all three tunnels are up: $(gw_sas)"
[ "$(gw_instances | wc -l)" = 3 ] || fail "not three IKE SAs: $(gw_sas)"
eventually ping_through || fail "hostA does not reach hostB through peer1's tunnel"
answers "nph-vpn.cgi?cmd=status&name=group" "active"

# --- 2. status&channel= ---
for n in 1 2 3; do
  eventually bash -c "[ \"\$(ip netns exec $gw curl -sk 'https://admin:mGuard@127.0.0.1:8443/nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.$n.0/24')\" = active ]" ||
    fail "the channel of peer$n is $(channel "10.0.$n.0/24")"
done
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.0.0/16" "ready"
# Without a name: a block per peer, with the network it narrowed the tunnel to.
full=$(cgi "nph-vpn.cgi?cmd=status")
[ "$(grep -c '^fullname group$' <<<"$full")" = 3 ] || fail "cmd=status has not three blocks: $full"
for n in 1 2 3; do
  grep -A1 -x "rightnet 10.0.$n.0/24" <<<"$full" | grep -qx "rightgw 172.16.$n.1" || fail "no block of peer$n: $full"
done
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.9.0/24" "unknown"
answers "nph-vpn.cgi?cmd=status&channel=192.168.2.0/24:10.0.1.0/24" "unknown"
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24" "F EINVAL msg=the channel is not LNET:RNET (two networks joined by ':')"
answers "nph-vpn.cgi?cmd=clear&channel=192.168.1.0/24:10.0.1.0/33" \
  "F EINVAL msg=the channel's remote network is not an IPv4 network a.b.c.d/n"

# --- 3. clear&channel= ends peer2's IKE SA, and only it ---
uid=$(gw_instances | awk '$2 == "172.16.2.1" {print $1}')
[[ "$uid" =~ ^[0-9]+$ ]] || fail "no IKE SA of peer2 in: $(gw_sas)"
answers "nph-vpn.cgi?cmd=clear&channel=192.168.1.0/24:10.0.2.0/24" "002 \"MAIv300000001_1\"[$uid] 172.16.2.1: deleting connection
\"MAIv300000001_1\"[$uid] instance with peer 172.16.2.1 {isakmp=#0/ipsec=#0}
cleared"
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.2.0/24" "unknown"
gw_child_of 2 && fail "peer2's CHILD_SA is still there: $(gw_sas)"
[ "$(gw_instances | awk '{print $2}' | sort | tr '\n' ' ')" = "172.16.1.1 172.16.3.1 " ] ||
  fail "clear did not leave exactly peer1 and peer3: $(gw_sas)"
gw_child_of 1 && gw_child_of 3 || fail "the other tunnels went too: $(gw_sas)"
for n in 1 3; do answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.$n.0/24" "active"; done
eventually bash -c "! swanctl --list-sas --uri unix://$tmp/peer2/charon.vici | grep -q ESTABLISHED" ||
  fail "peer2 still has its SA: $(peer_sas 2)"
ping_through >/dev/null || fail "peer1's tunnel carries no traffic after the clear"
answers "nph-vpn.cgi?cmd=clear&channel=192.168.1.0/24:10.0.2.0/24" "unknown"
# The peer does not initiate again by itself.
sleep 1
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:10.0.2.0/24" "unknown"

# --- 4. mode configuration: a peer asking for an address gets one of the pool ---
gaiconfig --set VPN_CONNECTION:0.MODECFG_LOCAL_NET 192.168.1.0/24 >/dev/null || fail "MODECFG_LOCAL_NET was refused"
gaiconfig --set VPN_CONNECTION:0.MODECFG server >/dev/null || fail "MODECFG server was refused"
eventually bash -c "swanctl --list-pools --uri unix://$tmp/run/charon.vici | grep -q '^MAIv300000001 *172.16.101.0'" ||
  fail "the pool was not loaded: $(swanctl --list-pools --uri "unix://$tmp/run/charon.vici" 2>&1)"
swanctl --terminate --ike gw --uri "unix://$tmp/peer3/charon.vici" >/dev/null 2>&1 || fail "peer3 could not end its SA"
peer_conf 3 "vips = 0.0.0.0" dynamic
swanctl --initiate --child net --timeout 10 --uri "unix://$tmp/peer3/charon.vici" >"$tmp/initiate3" 2>&1 ||
  fail "peer3 could not establish with a virtual IP: $(tail -5 "$tmp/initiate3")"
vip=$(peer_sas 3 | sed -n "s/^  local .*\[4500\] \[\(172\.16\.101\.[0-9]*\)\]$/\1/p")
[ -n "$vip" ] || fail "peer3 got no address of the pool: $(peer_sas 3)"
gw_sas | grep -q "^    remote $vip/32$" || fail "the gateway's CHILD_SA is not to $vip: $(gw_sas)"
swanctl --list-pools --leases --uri "unix://$tmp/run/charon.vici" | grep -q "$vip *online *'172.16.3.1'" ||
  fail "no lease of $vip: $(swanctl --list-pools --leases --uri "unix://$tmp/run/charon.vici" 2>&1)"
answers "nph-vpn.cgi?cmd=status&channel=192.168.1.0/24:$vip/32" "active"
ip netns exec "${peers[2]}" busybox ping -c 1 -W 2 -I "$vip" 192.168.1.10 || fail "peer3 ($vip) does not reach hostA"
