#!/usr/bin/env bash
# The network room of a real appliance: bulwark runs as PID 1 with the qemu
# board (eth0 = XF1 external, eth1 = XF2 internal, eth2 = XF5 DMZ) in a
# network namespace of this test's own, wired by veth pairs to three more
# namespaces: a WAN with a DHCP server (busybox udhcpd), a LAN host (busybox
# udhcpc) and a DMZ host (192.168.3.10, static). Checks:
#   - the appliance's DHCP client gets a lease on XF1 (address, default
#     route, name servers into <run>/resolv.conf);
#   - the LAN host gets a lease from the appliance's DHCP server and reaches
#     the web management at the address it was given as router, resolves
#     names through the appliance's name server (dnsmasq), and SSH:
#     admin gets the CLI, within the role's session limit;
#   - the packet filter: routed and masqueraded LAN -> WAN, port forwarding
#     WAN -> LAN, a logged packet's
#     line, a reload that keeps an established connection, nothing from the
#     WAN to the LAN or to the appliance's internal address; rule records,
#     the user firewall, remote access rules and their throttle; an IPsec
#     connection to a strongSwan peer on the WAN through its own chains, and
#     an OpenVPN connection's chains and port forwarding (a stand-in tun0);
#   - NTP_SERVERS by name: resolved through the lease's name servers;
#   - the DMZ (4.4.10): DMZ_ADDRESSES on XF5; WAN -> DMZ dropped, then
#     accepted by an FW_DMZ_INCOMING_WAN rule (its line); DMZ -> WAN
#     accepted and masqueraded as NAT_MASQUERADING says; LAN -> DMZ
#     accepted; DMZ -> LAN dropped, with FW_DMZ_LOG_DEFAULT its line;
#     spoofed sources on the DMZ and external ports dropped (4.4.5); a DMZ
#     network overlapping the internal one refused, changing nothing;
#   - ROUTER_MODE static puts EXT_ADDRESSES and the route via EXT_GATEWAY in
#     place of the lease, DNS_MODE user writes DNS_SERVERS; a gateway outside
#     those networks is refused and changes nothing;
#   - the WAN link going down is noticed; no link alarm until LINK_SUPERVISION
#     names XF1, then pulling its cable raises the FAULT alarm (logged, the
#     LED lit) and plugging it in clears it; SIGTERM powers off.
# Needs root, ip, unshare, nsenter, busybox, curl, dnsmasq, python3, dropbear (server and
# dbclient), charon-systemd and swanctl. Usage: network_test.sh BULWARK
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
id=$$
dev=bw-dev-$id wan=bw-wan-$id lan=bw-lan-$id dmz=bw-dmz-$id
tmp=$(mktemp -d -t bulwark-net.XXXXXX)
pids=()
cleanup() {
  # unshare ignores SIGTERM while it waits; SIGKILL ends it, and --kill-child
  # then sends SIGTERM to the appliance (it powers off).
  if [ -n "${pid1:-}" ]; then kill -TERM "$pid1" 2>/dev/null || true; fi
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "$dev" "$wan" "$lan" "${dmz:-}" "${ovpn:-}"; do [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "network_test: FAIL: $*"
  echo "--- appliance log"; tail -"${FAIL_LINES:-25}" "$tmp/pid1.log" || true
  exit 1
}
# eventually, start_strongswan_peer
source "$here/lib.sh"
logged() { grep -qF -- "$1" "$tmp/pid1.log"; }
# A TCP connection from namespace FROM to ADDRESS:PORT, where a listener in
# namespace TO writes what arrives to OUT: fd 8 writes into the connection,
# fd 9 keeps the listener's input open (nc ends a connection when its input
# ends).
open_connection() { # FROM ADDRESS PORT TO OUT
  local from=$1 address=$2 port=$3 to=$4 out=$5
  rm -f "$tmp/hush" "$tmp/stream"
  mkfifo "$tmp/hush" "$tmp/stream"
  ip netns exec "$to" busybox nc -l -p "$port" <"$tmp/hush" >"$out" 2>&1 &
  pids+=($!)
  exec 9>"$tmp/hush"
  sleep 0.3
  ip netns exec "$from" busybox nc "$address" "$port" <"$tmp/stream" >/dev/null 2>&1 &
  pids+=($!)
  exec 8>"$tmp/stream"
}
# Whether WORD, written into a new TCP connection from namespace FROM to
# ADDRESS:PORT, arrives at a listener in namespace TO; the connection is
# closed after.
carried() { # FROM ADDRESS PORT TO WORD
  local out=$tmp/carried-$3
  open_connection "$1" "$2" "$3" "$4" "$out"
  echo "$5" >&8 || return 1
  local ok=0
  eventually grep -q "$5" "$out" || ok=1
  exec 8>&- 9>&-
  return $ok
}
# Whether a TCP connection from namespace FROM to ADDRESS:PORT fails while
# a listener in namespace TO waits on PORT (so only the packet filter can
# have refused it).
refused_by_filter() { # FROM ADDRESS PORT TO
  ip netns exec "$4" busybox nc -l -p "$3" >/dev/null 2>&1 </dev/null &
  pids+=($!)
  sleep 0.3
  ! ip netns exec "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

for ns in "$dev" "$wan" "$lan" "$dmz"; do ip netns add "$ns"; done
ip link add eth0 netns "$dev" type veth peer name wan0 netns "$wan"
ip link add eth1 netns "$dev" type veth peer name lan0 netns "$lan"
ip link add eth2 netns "$dev" type veth peer name dmz0 netns "$dmz"
for ns in "$wan" "$lan" "$dmz"; do ip -n "$ns" link set lo up; done
ip -n "$wan" link set wan0 up
ip -n "$wan" addr add 10.0.2.2/24 dev wan0
ip -n "$wan" addr add 10.0.2.3/24 dev wan0
ip -n "$lan" link set lan0 up
# The DMZ host, addressed by hand (the appliance has no DHCP server there).
ip -n "$dmz" link set dmz0 up
ip -n "$dmz" addr add 192.168.3.10/24 dev dmz0
ip -n "$dmz" route add default via 192.168.3.1

# The provider's DHCP server.
cat >"$tmp/wan.conf" <<CONF
interface wan0
start 10.0.2.15
end 10.0.2.20
option subnet 255.255.255.0
option router 10.0.2.2
option dns 10.0.2.3 10.0.2.4
option lease 600
lease_file $tmp/wan.leases
pidfile $tmp/wan.pid
CONF
: >"$tmp/wan.leases"
ip netns exec "$wan" busybox udhcpd -f "$tmp/wan.conf" >"$tmp/wan.log" 2>&1 &
pids+=($!)

# The provider's name server: it knows plant.example.
ip netns exec "$wan" dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=10.0.2.3 \
  --bind-interfaces --pid-file= --address=/plant.example/10.0.2.99 --address=/ntp.plant.example/10.0.2.2 \
  >"$tmp/wan-dns.log" 2>&1 &
pids+=($!)
# A web server on the WAN side, which logs its clients' addresses.
mkdir -p "$tmp/www" && echo hello >"$tmp/www/index.html"
ip netns exec "$wan" busybox httpd -f -vv -p 10.0.2.2:8080 -h "$tmp/www" >"$tmp/wan-http.log" 2>&1 &
pids+=($!)
# The provider's time server, with this machine's time.
ip netns exec "$wan" python3 "$here/../e2e/ntp_server.py" 123 0 10.0.2.2 >"$tmp/wan-ntp.log" 2>&1 &
pids+=($!)

# The appliance.
mkdir -p "$tmp/data"
ip netns exec "$dev" env BULWARK_BOARD=qemu BULWARK_DATA_DIR="$tmp/data" \
  unshare --pid --mount --fork --kill-child=SIGTERM "$bin" >"$tmp/pid1.log" 2>&1 &
outer=$!
pids+=("$outer")
pid1=""
# ip netns exec and env exec unshare (the same pid), which forks PID 1.
eventually grep -q . "/proc/$outer/task/$outer/children" || fail "no PID 1"
pid1=$(cut -d' ' -f1 "/proc/$outer/task/$outer/children")
in_appliance() { nsenter -t "$pid1" -m "$@"; }

# 1. The lease on XF1 (udhcpd picks the address from the MAC: any of the pool).
eventually grep -qE "XF1 \(eth0\): address 10\.0\.2\.(1[5-9]|20)/24 by DHCP, gateway 10\.0\.2\.2, lease 600 s" \
  "$tmp/pid1.log" || fail "no lease on XF1"
wan_address=$(grep -oE "XF1 \(eth0\): address [0-9.]+/24 by DHCP" "$tmp/pid1.log" | head -1 | cut -d' ' -f4)
grep -q "default via 10.0.2.2 dev eth0" <<<"$(ip -n "$dev" route show default)" || fail "no default route via 10.0.2.2"
resolv=$(in_appliance cat /run/bulwark/resolv.conf)
[ "$(grep '^nameserver' <<<"$resolv")" = $'nameserver 10.0.2.3\nnameserver 10.0.2.4' ] ||
  fail "resolv.conf after the lease: $resolv"
logged "net: DNS servers 10.0.2.3, 10.0.2.4" || fail "no line for the name servers"

# 2. A LAN host asks the appliance's DHCP server.
cat >"$tmp/lan-event" <<'SCRIPT'
#!/bin/sh
if [ "$1" = bound ]; then
  echo "ip=$ip router=$router dns=$dns subnet=$subnet" >"$LEASE_FILE"
  ip addr add "$ip/24" dev "$interface"
  ip route add default via "$router"
fi
exit 0
SCRIPT
chmod 755 "$tmp/lan-event"
eventually logged "dhcp-int: udhcpd: started" || fail "dhcp-int did not start"
LEASE_FILE=$tmp/lan.lease ip netns exec "$lan" busybox udhcpc -f -q -n -t 20 -T 1 -i lan0 -s "$tmp/lan-event" \
  >"$tmp/lan.log" 2>&1 || fail "the LAN host got no lease: $(cat "$tmp/lan.log")"
lease=$(cat "$tmp/lan.lease")
[[ "$lease" =~ ^ip=192\.168\.1\.1[0-9][0-9]\ router=192\.168\.1\.1\ dns=192\.168\.1\.1\ subnet=255\.255\.255\.0$ ]] ||
  fail "the LAN lease: $lease"
eventually ip netns exec "$lan" curl -sfk --max-time 5 -o /dev/null "https://192.168.1.1/" ||
  fail "the LAN host cannot reach the web management"
# ... and names through the appliance's name server, from the provider's.
eventually logged "init: started dns" || fail "the name server did not start"
answer=""
for _ in $(seq 1 50); do
  answer=$(ip netns exec "$lan" busybox nslookup plant.example 192.168.1.1 2>&1) && break
  sleep 0.2
done
grep -q "Address: 10.0.2.99" <<<"$answer" || fail "plant.example through 192.168.1.1: $answer"
sysinfo=$(ip netns exec "$lan" curl -sk --max-time 5 -u admin:mGuard "https://192.168.1.1/nph-vpn.cgi?cmd=sysinfo")
[ "$(head -1 <<<"$sysinfo")" = "mGuardProductName=bulwark qemu" ] || fail "sysinfo from the LAN: $sysinfo"

# 3. The packet filter (router defaults): in force, LAN -> WAN routed and
#    masqueraded, WAN -> LAN and WAN -> the appliance's internal address dropped.
logged "firewall: packet filter loaded" || fail "no packet filter"
table=$(ip netns exec "$dev" nft list table inet bulwark)
grep -q "chain fw-incoming" <<<"$table" || fail "no table inet bulwark: $table"
[ "$(ip netns exec "$dev" cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "IPv4 forwarding is off"
page=$(ip netns exec "$lan" curl -s --max-time 5 http://10.0.2.2:8080/) || fail "the LAN cannot reach the WAN"
[ "$page" = hello ] || fail "the WAN page: $page"
grep -q "${wan_address%/*}" "$tmp/wan-http.log" || fail "not masqueraded: $(cat "$tmp/wan-http.log")"
lan_ip=$(sed -E 's/^ip=([0-9.]+) .*/\1/' "$tmp/lan.lease")
# A logged rule: the line of 4.4, compared field by field with the packet
# (forwarded: the TTL of 64 is one less at the forward hook).
in_appliance "$bin" gaiconfig --set FW_OUTGOING:0.LOG yes >/dev/null
ip netns exec "$lan" curl -s --max-time 5 -o /dev/null --local-port 40123 http://10.0.2.2:8080/ ||
  fail "the LAN cannot reach the WAN with the logged rule"
lan_mac=$(ip -n "$lan" link show lan0 | awk '/link\/ether/ {print $2}')
line=""
for _ in $(seq 1 50); do
  line=$(grep -m1 "firewall: fw-outgoing-1-" "$tmp/pid1.log" || true)
  [ -n "$line" ] && break
  sleep 0.1
done
[[ "$line" =~ firewall:\ fw-outgoing-1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\ act=ACCEPT\ IN=eth1\ OUT=eth0\ MAC=$lan_mac\ SRC=$lan_ip\ DST=10\.0\.2\.2\ LEN=60\ TOS=0x00\ PREC=0x00\ TTL=63\ ID=[0-9]+\ DF\ PROTO=TCP\ SPT=40123\ DPT=8080\ SEQ=[0-9]+\ ACK=0\ WINDOW=[0-9]+\ SYN\ URGP=0$ ]] ||
  fail "the log line of the SYN: '$line'"
# Reloading the packet filter keeps established connections: a LAN -> WAN
# TCP connection carries a line before and a line after a reload.
open_connection "$lan" 10.0.2.2 9001 "$wan" "$tmp/received"
trap '' PIPE  # a connection that breaks is a failure to report, not a silent end
echo before >&8 || fail "cannot write to the LAN -> WAN connection"
eventually grep -q before "$tmp/received" || fail "no connection LAN -> WAN"
loads=$(grep -c "firewall: packet filter loaded" "$tmp/pid1.log")
in_appliance "$bin" gaiconfig --set FW_OUTGOING:0.LOG no >/dev/null
reloaded() { [ "$(grep -c "firewall: packet filter loaded" "$tmp/pid1.log")" -gt "$loads" ]; }
eventually reloaded || fail "the packet filter was not reloaded"
echo after >&8 || fail "the reload broke an established connection"
eventually grep -q after "$tmp/received" || fail "the reload broke an established connection"
exec 8>&- 9>&-
# IP and port forwarding: the WAN reaches a LAN web server through the
# appliance's external address, and the first packet is logged.
ip netns exec "$lan" busybox httpd -f -p "$lan_ip:80" -h "$tmp/www" >/dev/null 2>&1 &
pids+=($!)
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "port forwarding refused"
NAT_PORT_FORWARDING = {
  { COMMENT = "web" IN_PORT = "8080" LOG = "yes" PROTO = "tcp" TO_IP = "$lan_ip" TO_PORT = "80" }
}
// End of configuration profile
ATV
page=""
for _ in $(seq 1 20); do
  page=$(ip netns exec "$wan" curl -s --max-time 2 "http://${wan_address%/*}:8080/") && break
  sleep 0.2
done
[ "$page" = hello ] || fail "no web page through port forwarding: '$page'"
eventually grep -qE "firewall: fw-portforwarding-1-[0-9a-f-]{36} act=ACCEPT IN=eth0 OUT=eth1 MAC=[0-9a-f:]{17} SRC=10\.0\.2\.2 DST=$lan_ip LEN=60 .* PROTO=TCP SPT=[0-9]+ DPT=80 SEQ=" "$tmp/pid1.log" ||
  fail "no fw-portforwarding line"
ip -n "$wan" route add 192.168.1.0/24 via "${wan_address%/*}"
ip netns exec "$lan" busybox nc -l -p 9000 >/dev/null 2>&1 &
pids+=($!)
if ip netns exec "$wan" timeout 3 bash -c "exec 3<>/dev/tcp/$lan_ip/9000" 2>/dev/null; then
  fail "the WAN reached a LAN host"
fi
if ip netns exec "$wan" timeout 3 bash -c "exec 3<>/dev/tcp/192.168.1.1/22" 2>/dev/null; then
  fail "the WAN reached SSH on the internal address"
fi
# Rule records (4.4.11, 11.6, 11.7): "maintenance" lets 10.0.2.2 reach the
# LAN host's port 9002 while it is active; switched with nph-action.cgi, in
# force at once, and an open connection outlives the switch.
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "the rule record was refused"
FW_RULESETS = {
  { FRIENDLY_NAME = "maintenance" INITIAL_STATE = "inactive" TIMEOUT = "3600"
    SET = { { COMMENT = "WAN to the LAN host" DST_IP = "$lan_ip/32" DST_PORT = "9002" LOG = "yes" PROTO = "tcp" SRC_IP = "10.0.2.2/32" } }
  }
}
// End of configuration profile
ATV
cgi() { ip netns exec "$lan" curl -sk --max-time 5 -u admin:mGuard "https://192.168.1.1/$1"; }
record_known() { grep -q "inactive" <<<"$(cgi "nph-status.cgi?path=/fwrules&name=maintenance")"; }
eventually record_known ||
  fail "the record's state: $(cgi "nph-status.cgi?path=/fwrules&name=maintenance")"
if ip netns exec "$wan" timeout 3 bash -c "exec 3<>/dev/tcp/$lan_ip/9002" 2>/dev/null; then
  fail "the WAN reached the LAN host through an inactive record"
fi
[ "$(cgi "nph-action.cgi?action=fwrules/active&name=maintenance")" = OK ] || fail "fwrules/active refused"
status=$(cgi "nph-status.cgi?path=/fwrules&name=maintenance")
[[ "$status" =~ ^/fwrules/(MAIv[0-9]+)/expires=([0-9]+)$'\n'/fwrules/MAIv[0-9]+/state=active$ ]] ||
  fail "the active record's state: $status"
rowid=${BASH_REMATCH[1]}
expires=${BASH_REMATCH[2]}
[ $((expires - $(date +%s))) -gt 3500 ] && [ $((expires - $(date +%s))) -le 3600 ] ||
  fail "the record expires at $expires"
logged "firewall: rule record \"maintenance\" ($rowid) active" || fail "no line for the switch"
open_connection "$wan" "$lan_ip" 9002 "$lan" "$tmp/received2"
echo through >&8 || fail "cannot write through the active record"
eventually grep -q through "$tmp/received2" || fail "the active record let nothing through"
eventually grep -qE "firewall: fw-ruleset_$rowid-1-[0-9a-f-]{36} act=ACCEPT IN=eth0 OUT=eth1 MAC=[0-9a-f:]{17} SRC=10\.0\.2\.2 DST=$lan_ip LEN=60 .* PROTO=TCP SPT=[0-9]+ DPT=9002 SEQ=" "$tmp/pid1.log" ||
  fail "no fw-ruleset line"
[ "$(cgi "nph-action.cgi?action=fwrules/inactive&rowid=$rowid")" = OK ] || fail "fwrules/inactive refused"
[ "$(cgi "nph-status.cgi?path=/fwrules&name=maintenance")" = "/fwrules/$rowid/expires=0"$'\n'"/fwrules/$rowid/state=inactive" ] ||
  fail "the inactive record's state: $(cgi "nph-status.cgi?path=/fwrules&name=maintenance")"
echo still >&8 || fail "switching the record broke the open connection"
eventually grep -q still "$tmp/received2" || fail "switching the record broke the open connection"
exec 8>&- 9>&-
if ip netns exec "$wan" timeout 3 bash -c "exec 3<>/dev/tcp/$lan_ip/9002" 2>/dev/null; then
  fail "the WAN reached the LAN host after the record was switched off"
fi
grep -q "F ENOENT msg=No firewall rule record is named nothing." <<<"$(cgi "nph-action.cgi?action=fwrules/active&name=nothing")" ||
  fail "an unknown record: $(cgi "nph-action.cgi?action=fwrules/active&name=nothing")"
# Anti-spoofing (4.4.5): a source of the internal network arriving on the
# external port is dropped and logged.
ip -n "$wan" addr add 192.168.1.77/32 dev wan0
ip netns exec "$wan" busybox ping -c 1 -W 1 -I 192.168.1.77 "${wan_address%/*}" >/dev/null 2>&1 || true
eventually grep -qE "firewall: fw-antispoofing-ext1-0- act=DROP IN=eth0 .*SRC=192\.168\.1\.77 DST=${wan_address%/*} .*PROTO=ICMP TYPE=8" "$tmp/pid1.log" ||
  fail "no fw-antispoofing-ext1 line"
ip -n "$wan" addr del 192.168.1.77/32 dev wan0
# ICMP flood (4.4.17): more than DOS_ICMP_OUT_MAX (5) echo requests a second
# from the LAN are dropped, one line a second; echo requests larger than
# FW_ICMP_MAXLEN (1500) are dropped and logged (4.4.18).
ip netns exec "$lan" busybox ping -A -c 40 -w 3 10.0.2.2 >"$tmp/flood" 2>&1 || true
received=$(grep -oE "[0-9]+ packets received" "$tmp/flood" | cut -d' ' -f1)
[ -n "$received" ] && [ "$received" -lt 40 ] || fail "no echo request was dropped: $(tail -2 "$tmp/flood")"
eventually grep -qE "firewall: fw-ICMP-flood act=DROP IN=eth1 OUT=eth0 MAC=$lan_mac SRC=$lan_ip DST=10\.0\.2\.2 .*PROTO=ICMP TYPE=8 CODE=0" "$tmp/pid1.log" ||
  fail "no fw-ICMP-flood line"
[ "$(grep -c "fw-ICMP-flood" "$tmp/pid1.log")" -le 5 ] || fail "more than one fw-ICMP-flood line a second"
sleep 1
if ip netns exec "$lan" busybox ping -c 1 -W 2 -s 1600 10.0.2.2 >/dev/null 2>&1; then
  fail "an echo request of 1628 bytes went through"
fi
eventually grep -qE "firewall: fw-ICMP-maxlen act=DROP IN=eth1 OUT=eth0 .*SRC=$lan_ip DST=10\.0\.2\.2 LEN=1628 .*PROTO=ICMP TYPE=8" "$tmp/pid1.log" ||
  fail "no fw-ICMP-maxlen line"
ip netns exec "$lan" busybox ping -c 1 -W 2 -s 1400 10.0.2.2 >/dev/null 2>&1 || fail "an echo request of 1428 bytes was dropped"
# The user firewall (4.3.1, 4.4.12, 11.6): the firewall user fred logs in
# from the WAN over HTTPS (HTTPS_REMOTE_ACCESS); his template opens the LAN
# host's port 9003 to his address; the administrator logs him out with
# nph-action.cgi, and an open connection outlives both switches.
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "the user firewall was refused"
HTTPS_REMOTE_ACCESS = "yes"
USERFW_TEMPLATE = {
  { TEMPLATE_NAME = "Technicians" TEMPLATE_TIMEOUT = "600"
    TEMPLATE_RULE = { { COMMENT = "to the LAN host" DST_IP = "$lan_ip/32" DST_PORT = "9003" LOG = "yes" PROTO = "tcp" } }
    TEMPLATE_USERS = { { USERNAME = "fred" } }
  }
}
USERFW_USERS = {
  { USERNAME = "fred" PASSWORD = "fred-Secret1" }
}
// End of configuration profile
ATV
userfw() { # login|logout PASSWORD
  ip netns exec "$wan" curl -sk --max-time 5 -H 'content-type: application/json' \
    -d "{\"user\":\"fred\",\"password\":\"$2\"}" "https://${wan_address%/*}/api/v1/userfw/$1"
}
logs_in() { grep -q '"logged_in":true' <<<"$(userfw login fred-Secret1)"; }
# (The web server takes the external address a moment after the change.)
eventually logs_in || fail "fred's login: $(userfw login fred-Secret1)"
logged "Accepted login for firewall user 'fred' from 10.0.2.2" || fail "no line for fred's login"
grep -q "Wrong user name or password" <<<"$(userfw login wrong)" || fail "a wrong password logged fred in"
open_connection "$wan" "$lan_ip" 9003 "$lan" "$tmp/received3"
echo opened >&8 || fail "cannot write through the user firewall"
eventually grep -q opened "$tmp/received3" || fail "fred's template let nothing through"
eventually grep -qE "firewall: fw-ufw_MAIv[0-9]+-1-[0-9a-f-]{36} act=ACCEPT IN=eth0 OUT=eth1 MAC=[0-9a-f:]{17} SRC=10\.0\.2\.2 DST=$lan_ip LEN=60 .* PROTO=TCP SPT=[0-9]+ DPT=9003 SEQ=" "$tmp/pid1.log" ||
  fail "no fw-ufw line"
[ "$(cgi "nph-action.cgi?action=userfw/logout&name=fred&ip=10.0.2.2")" = OK ] || fail "userfw/logout refused"
logged "Logout for firewall user 'fred' from 10.0.2.2" || fail "no line for fred's logout"
logged "action: admin:admin performed the action 'userfw/logout' via Webinterface" ||
  logged "action : admin:admin performed the action 'userfw/logout' via Webinterface" || fail "no action line for the logout"
echo closed >&8 || fail "the logout broke the open connection"
eventually grep -q closed "$tmp/received3" || fail "the logout broke the open connection"
exec 8>&- 9>&-
if ip netns exec "$wan" timeout 3 bash -c "exec 3<>/dev/tcp/$lan_ip/9003" 2>/dev/null; then
  fail "the WAN reached the LAN host after fred's logout"
fi
grep -q "F ENOENT msg=The firewall user fred is not logged in from 10.0.2.2." <<<"$(cgi "nph-action.cgi?action=userfw/logout&name=fred&ip=10.0.2.2")" ||
  fail "a second logout"
# An inactivity timeout ("dynamic", 6 s): new connections through fred's
# rules keep the login; 6 s without one end it.
in_appliance "$bin" gaiconfig --set USERFW_TEMPLATE:0.TEMPLATE_TOUT_TYPE dynamic >/dev/null
in_appliance "$bin" gaiconfig --set USERFW_TEMPLATE:0.TEMPLATE_TIMEOUT 6 >/dev/null
grep -q '"logged_in":true' <<<"$(userfw login fred-Secret1)" || fail "fred's second login"
logouts=$(grep -c "Logout for firewall user 'fred'" "$tmp/pid1.log")
for _ in 1 2 3 4 5; do
  ip netns exec "$wan" timeout 1 bash -c "exec 3<>/dev/tcp/$lan_ip/9003" 2>/dev/null || true
  sleep 2
done
[ "$(grep -c "Logout for firewall user 'fred'" "$tmp/pid1.log")" = "$logouts" ] ||
  fail "fred was logged out while his rules had traffic"
ended() { [ "$(grep -c "Logout for firewall user 'fred'" "$tmp/pid1.log")" -gt "$logouts" ]; }
eventually ended || fail "fred's login outlived 6 s without traffic"
# Remote access (4.4.8): HTTPS_REMOTE_ACCESS_RULES in order, logged with
# their row; then the throttle (4.4.4): beyond 32 connections at once from
# one WAN address, new ones are dropped, one line each.
wan_ip=${wan_address%/*}
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "the access rules were refused"
HTTPS_REMOTE_ACCESS_RULES = {
  { COMMENT = "not the provider" FROM_IP = "10.0.2.2/32" INTERFACE = "external" LOG = "yes" TARGET = "reject" }
  { COMMENT = "the rest" FROM_IP = "0.0.0.0/0" INTERFACE = "external" LOG = "no" TARGET = "accept" }
}
// End of configuration profile
ATV
refused() { ! ip netns exec "$wan" curl -sk --max-time 3 -o /dev/null "https://$wan_ip/"; }
eventually refused || fail "the WAN host reached the web management past a reject rule"
eventually grep -qE "firewall: fw-https-access-1-[0-9a-f-]{36} act=REJECT IN=eth0 MAC=[0-9a-f:]{17} SRC=10\.0\.2\.2 DST=$wan_ip LEN=60 .* PROTO=TCP SPT=[0-9]+ DPT=443 SEQ=[0-9]+ ACK=0 WINDOW=[0-9]+ SYN URGP=0$" "$tmp/pid1.log" ||
  fail "no fw-https-access line for the reject"
in_appliance "$bin" gaiconfig --set HTTPS_REMOTE_ACCESS_RULES:0.TARGET accept >/dev/null
eventually ip netns exec "$wan" curl -sk --max-time 3 -o /dev/null "https://$wan_ip/" ||
  fail "the WAN host cannot reach the web management past an accept rule"
eventually grep -qE "firewall: fw-https-access-1-[0-9a-f-]{36} act=ACCEPT IN=eth0 .*SRC=10\.0\.2\.2 DST=$wan_ip .*DPT=443 " "$tmp/pid1.log" ||
  fail "no fw-https-access line for the accept"
read -r held dropped < <(ip netns exec "$wan" python3 - "$wan_ip" <<'PY'
import socket, sys
held, dropped = [], 0
for _ in range(40):
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect((sys.argv[1], 443))
        held.append(s)
    except OSError:
        dropped += 1
print(len(held), dropped)
PY
)
[ "$held" -le 32 ] && [ "$held" -ge 26 ] && [ "$dropped" -ge 8 ] || fail "the throttle let $held connections in and dropped $dropped"
eventually grep -qE "firewall: fw-throttle-0- act=DROP IN=eth0 .*SRC=10\.0\.2\.2 DST=$wan_ip .*DPT=443 .*SYN URGP=0$" "$tmp/pid1.log" ||
  fail "no fw-throttle line"
eventually ip netns exec "$wan" curl -sk --max-time 3 -o /dev/null "https://$wan_ip/" ||
  fail "the throttle held on after the connections closed"

# An IPsec connection through the packet filter (4.4.14): a strongSwan peer
# of this test's own in the WAN namespace (10.0.2.2) with the network
# 10.0.0.0/24 behind it (10.0.0.1 on its loopback). The connection's
# FW_OUTGOING lets pings into the tunnel, logged, and drops the rest,
# logged; its FW_INCOMING lets the peer's network reach the LAN host's port
# 9004 only, logged; each line names the connection and the tunnel
# (ROWID1, ROWID2). Here charon does ESP itself (kernel-libipsec, ipsec0).
ip -n "$wan" addr add 10.0.0.1/24 dev lo
mkdir -p "$tmp/peer"
cat >"$tmp/peer/swanctl.conf" <<CONF
connections {
  appliance {
    version = 2
    local_addrs = 10.0.2.2
    remote_addrs = $wan_ip
    local { auth = psk }
    remote { auth = psk }
    children {
      net {
        local_ts = 10.0.0.0/24
        remote_ts = 192.168.1.0/24
      }
    }
  }
}
secrets { ike-appliance { secret = "plant-psk-2026" } }
CONF
start_strongswan_peer "$wan" "$tmp/peer" || fail "the peer's charon did not start"
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "the IPsec connection was refused"
VPN_CONNECTION = {
  { ROWID = "MAIv711498711" VPN_NAME = "plant" AUTH_METHOD = "psk" PSK = "plant-psk-2026" REMOTE_GATEWAY = "10.0.2.2"
    CONNECTION_STARTUP = "initiate"
    TUNNEL = { { ROWID = "MAIv144871511" LOCAL_NET = "192.168.1.0/24" REMOTE_NET = "10.0.0.0/24" } }
    FW_OUTGOING = { { PROTO = "icmp" LOG = "yes" } }
    FW_OUTGOING_LOG_DEFAULT = "yes"
    FW_INCOMING_LOG_DEFAULT = "yes"
    FW_INCOMING = { { PROTO = "tcp" DST_IP = "$lan_ip/32" DST_PORT = "9004" LOG = "yes" } }
  }
}
// End of configuration profile
ATV
# While the peer does not know the connection yet, the tunnel's traffic is
# dropped as its outgoing rules drop, not sent in clear text.
refused_by_filter "$lan" 10.0.0.1 9005 "$wan" || fail "a LAN connection to the tunnel's network went out in clear text"
eventually grep -qE "firewall: fw-vpn-out_MAIv711498711-0-[0-9a-f-]{36} act=DROP IN=eth1 OUT=eth0 .*SRC=$lan_ip DST=10\.0\.0\.1 .*DPT=9005 " "$tmp/pid1.log" ||
  fail "no fw-vpn-out line for the tunnel's traffic without the tunnel"
swanctl --load-all --noprompt --file "$tmp/peer/swanctl.conf" --uri "unix://$tmp/peer/charon.vici" >/dev/null ||
  fail "the peer's swanctl.conf did not load"
swanctl --initiate --child net --timeout 10 --uri "unix://$tmp/peer/charon.vici" >/dev/null 2>&1 || true
peer_sas() { swanctl --list-sas --uri "unix://$tmp/peer/charon.vici" 2>&1; }
tunnel_up() { peer_sas | grep -q "INSTALLED, TUNNEL"; }
FAIL_LINES=60 eventually tunnel_up || fail "the tunnel did not come up: $(peer_sas)"
eventually ip netns exec "$lan" busybox ping -c 1 -W 1 10.0.0.1 ||
  fail "the LAN host does not reach the peer's network through the tunnel"
eventually grep -qE "firewall: fw-vpn-out_MAIv711498711-1-[0-9a-f-]{36} act=ACCEPT IN=eth1 OUT=ipsec0 MAC=[0-9a-f:]{17} SRC=$lan_ip DST=10\.0\.0\.1 LEN=84 .* PROTO=ICMP TYPE=8 CODE=0 ID=[0-9]+ SEQ=[0-9]+ ROWID1=MAIv711498711 ROWID2=MAIv144871511$" "$tmp/pid1.log" ||
  fail "no fw-vpn-out line for the ping"
refused_by_filter "$lan" 10.0.0.1 9005 "$wan" ||
  fail "a TCP connection went into the tunnel past the connection's outgoing rules"
eventually grep -qE "firewall: fw-vpn-out_MAIv711498711-0-[0-9a-f-]{36} act=DROP IN=eth1 OUT=ipsec0 .*SRC=$lan_ip DST=10\.0\.0\.1 .*PROTO=TCP SPT=[0-9]+ DPT=9005 .* ROWID1=MAIv711498711 ROWID2=MAIv144871511$" "$tmp/pid1.log" ||
  fail "no fw-vpn-out line for the default drop"
carried "$wan" "$lan_ip" 9004 "$lan" tunnelled || fail "the peer's network did not reach the LAN host through the tunnel"
eventually grep -qE "firewall: fw-vpn-in_MAIv711498711-1-[0-9a-f-]{36} act=ACCEPT IN=ipsec0 OUT=eth1 MAC= SRC=10\.0\.0\.1 DST=$lan_ip LEN=60 .* PROTO=TCP SPT=[0-9]+ DPT=9004 SEQ=[0-9]+ ACK=0 WINDOW=[0-9]+ SYN URGP=0 ROWID1=MAIv711498711 ROWID2=MAIv144871511$" "$tmp/pid1.log" ||
  fail "no fw-vpn-in line"
refused_by_filter "$wan" "$lan_ip" 9006 "$lan" ||
  fail "the peer's network reached a port its connection's incoming rules do not open"
eventually grep -qE "firewall: fw-vpn-in_MAIv711498711-0-[0-9a-f-]{36} act=DROP IN=ipsec0 OUT=eth1 .*SRC=10\.0\.0\.1 DST=$lan_ip .*DPT=9006 .* ROWID1=MAIv711498711 ROWID2=MAIv144871511$" "$tmp/pid1.log" ||
  fail "no fw-vpn-in line for the default drop"
in_appliance "$bin" gaiconfig --set VPN_CONNECTION:0.ENABLED no >/dev/null || fail "disabling the connection was refused"

# An OpenVPN connection's chains (4.4.15). The OpenVPN room is not built:
# a veth named as the first connection's device (tun0) stands in for its
# tunnel, to a namespace with the server's side (10.8.0.1). FW_INCOMING
# opens the LAN host's port 9007, logged; PORT_FORWARDING sends port 9008
# of the appliance's tunnel address to the LAN host, logged.
ovpn=bw-ovpn-$id
ip netns add "$ovpn"
ip link add tun0 netns "$dev" type veth peer name ovpn0 netns "$ovpn"
ip -n "$dev" addr add 10.8.0.2/24 dev tun0
ip -n "$dev" link set tun0 up
ip -n "$ovpn" addr add 10.8.0.1/24 dev ovpn0
ip -n "$ovpn" link set ovpn0 up
ip -n "$ovpn" link set lo up
ip -n "$ovpn" route add 192.168.1.0/24 via 10.8.0.2
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "the OpenVPN connection was refused"
OPENVPN_CONNECTION = {
  { ROWID = "MAIv231480925" VPN_NAME = "service" REMOTE = "10.8.0.1"
    FW_INCOMING = { { PROTO = "tcp" DST_IP = "$lan_ip/32" DST_PORT = "9007" LOG = "yes" } }
    FW_OUTGOING = { { PROTO = "all" } }
    PORT_FORWARDING = { { PROTO = "tcp" IN_PORT = "9008" TO_IP = "$lan_ip" TO_PORT = "9008" LOG = "yes" } }
  }
}
// End of configuration profile
ATV
eventually ip netns exec "$lan" busybox ping -c 1 -W 1 10.8.0.1 || fail "the LAN host does not reach the OpenVPN side"
carried "$ovpn" "$lan_ip" 9007 "$lan" openvpn || fail "the OpenVPN side did not reach the port FW_INCOMING opens"
eventually grep -qE "firewall: fw-openvpn-in_MAIv231480925-1-[0-9a-f-]{36} act=ACCEPT IN=tun0 OUT=eth1 MAC=[0-9a-f:]* SRC=10\.8\.0\.1 DST=$lan_ip LEN=60 .* PROTO=TCP SPT=[0-9]+ DPT=9007 SEQ=" "$tmp/pid1.log" ||
  fail "no fw-openvpn-in line"
carried "$ovpn" 10.8.0.2 9008 "$lan" forwarded || fail "the OpenVPN connection's port forwarding did not forward"
eventually grep -qE "firewall: fw-openvpn-portfw_MAIv231480925-1-[0-9a-f-]{36} act=ACCEPT IN=tun0 OUT=eth1 .*SRC=10\.8\.0\.1 DST=$lan_ip .*PROTO=TCP SPT=[0-9]+ DPT=9008 " "$tmp/pid1.log" ||
  fail "no fw-openvpn-portfw line"
refused_by_filter "$ovpn" "$lan_ip" 9009 "$lan" ||
  fail "the OpenVPN side reached a port its incoming rules do not open"
ip netns del "$ovpn"

# 4. SSH from the LAN: admin gets the CLI (counted against the role's limit),
#    dropbear's lines come out as the reference's sshd lines.
ssh_lan() { # PASSWORD USER [COMMAND]
  local password=$1 user=$2
  shift 2
  HOME=$tmp DROPBEAR_PASSWORD=$password ip netns exec "$lan" timeout 20 dbclient -y -y "$user@192.168.1.1" "$@"
}
eventually logged "init: started sshd" || fail "sshd did not start"
eventually ip netns exec "$lan" bash -c "exec 3<>/dev/tcp/192.168.1.1/22" || fail "nothing listens on port 22"
status=$(ssh_lan mGuard admin "show status" 2>&1) || fail "ssh admin show status: $status"
grep -q "bulwark" <<<"$status" || fail "show status over SSH: $status"
eventually grep -qE "sshd\[[0-9]+\]: Accepted password for admin from $lan_ip port [0-9]+ ssh2" "$tmp/pid1.log" ||
  fail "no sshd line for the login"
logged "inno-sshlimitd: allow session 1 of maximum 4 for role admin (class 1) at fd" || fail "no inno-sshlimitd line"
grep -qE "sshd\[[0-9]+\]: session start for user 'admin'" "$tmp/pid1.log" || fail "no session start line"
if ssh_lan wrong admin "show status" >/dev/null 2>&1; then fail "a wrong password logged in"; fi
eventually grep -qE "sshd\[[0-9]+\]: Failed password for admin from $lan_ip port [0-9]+ ssh2" "$tmp/pid1.log" ||
  fail "no line for the failed password"
# dropbear listens on the internal address only (SSH_REMOTE_ACCESS is no).
if ip netns exec "$wan" timeout 3 bash -c "exec 3<>/dev/tcp/${wan_address%/*}/22" 2>/dev/null; then
  fail "SSH answers on the external address"
fi
# One session of admin at a time: a second one is refused while the first lasts.
in_appliance "$bin" gaiconfig --set SSH_ADMIN_LOGIN_ALLOWED_MAX 1 >/dev/null
mkfifo "$tmp/hold"
HOME=$tmp DROPBEAR_PASSWORD=mGuard ip netns exec "$lan" dbclient -y -y -T admin@192.168.1.1 <"$tmp/hold" \
  >"$tmp/first-session" 2>&1 &
first=$!
pids+=("$first")
exec 7>"$tmp/hold"  # the first session's input stays open as long as fd 7
eventually grep -q "Welcome, admin (admin)" "$tmp/first-session" || fail "the first session: $(cat "$tmp/first-session")"
second=$(ssh_lan mGuard admin "show status" 2>&1) && fail "a second admin session was allowed: $second"
grep -q "Too many shell sessions of role admin (at most 1)." <<<"$second" || fail "the refusal: $second"
logged "inno-sshlimitd: deny session 2 of maximum 1 for role admin (class 1)" || fail "no line for the refusal"
exec 7>&-  # end of input: the CLI ends the session, and the slot is free again
wait "$first" || fail "the first session did not end cleanly: $(cat "$tmp/first-session")"
third=$(ssh_lan mGuard admin "show status" 2>&1) || fail "no session after the first ended: $third"

# 5. NTP by name: resolved through the lease's name servers, measured (in a
#    namespace the clock is the host's: nothing is set), reported.
in_appliance "$bin" gaiconfig --set NTP_SERVERS:0.NTP_SERVER ntp.plant.example >/dev/null
in_appliance "$bin" gaiconfig --set NTP_ENABLE yes >/dev/null
eventually logged "ntp: time synchronised with NTP server ntp.plant.example (10.0.2.2) (stratum 2)" ||
  fail "no NTP synchronisation by name"
state=$(ip netns exec "$lan" curl -sk --max-time 5 -u admin:mGuard \
  "https://192.168.1.1/nph-status.cgi?path=/network/ntp_state")
[ "$state" = synchronized ] || fail "ntp_state: $state"

# 6. The DMZ (4.4.10) with its host 192.168.3.10 on XF5: DMZ_ADDRESSES'
#    factory default on the port, the four directions by default and as
#    configured, masquerading, anti-spoofing (4.4.5).
logged "net: XF5 (eth2): address 192.168.3.1/24" || fail "no line for the DMZ address"
grep -q "inet 192.168.3.1/24" <<<"$(ip -n "$dev" -4 addr show dev eth2)" || fail "no 192.168.3.1/24 on eth2"
dmz_mac=$(ip -n "$dmz" link show dmz0 | awk '/link\/ether/ {print $2}')
wan_mac=$(ip -n "$wan" link show wan0 | awk '/link\/ether/ {print $2}')
ip -n "$wan" route add 192.168.3.0/24 via "${wan_address%/*}"
# Waits up to 5 s for the first line with TEXT and prints it.
first_line() {
  local line=""
  for _ in $(seq 1 50); do
    line=$(grep -m1 -F -- "$1" "$tmp/pid1.log" || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  echo "$line"
}
# The web server of the DMZ, which logs its clients' addresses.
mkdir -p "$tmp/dmz-www" && echo dmz >"$tmp/dmz-www/index.html"
ip netns exec "$dmz" busybox httpd -f -vv -p 192.168.3.10:80 -h "$tmp/dmz-www" >"$tmp/dmz-http.log" 2>&1 &
pids+=($!)
# DMZ -> WAN: accepted (FW_DMZ_OUTGOING_WAN's factory row) and masqueraded
# (NAT_MASQUERADING's factory row: everything out of the external port).
echo dmz >"$tmp/www/from-dmz-1.html"
page=$(ip netns exec "$dmz" curl -s --max-time 5 http://10.0.2.2:8080/from-dmz-1.html) || fail "the DMZ cannot reach the WAN"
[ "$page" = dmz ] || fail "the WAN page from the DMZ: $page"
grep -qE "^${wan_address%/*}:[0-9]+: url:/from-dmz-1.html$" "$tmp/wan-http.log" ||
  fail "DMZ -> WAN not masqueraded: $(grep from-dmz-1 "$tmp/wan-http.log")"
# ... and not masqueraded where NAT_MASQUERADING names the LAN's network only.
in_appliance "$bin" gaiconfig --set NAT_MASQUERADING:0.FROM_IP 192.168.1.0/24 >/dev/null
echo dmz >"$tmp/www/from-dmz-2.html"
page=$(ip netns exec "$dmz" curl -s --max-time 5 http://10.0.2.2:8080/from-dmz-2.html) ||
  fail "the DMZ cannot reach the WAN unmasqueraded"
grep -qE "^192\.168\.3\.10:[0-9]+: url:/from-dmz-2.html$" "$tmp/wan-http.log" ||
  fail "DMZ -> WAN masqueraded against NAT_MASQUERADING: $(grep from-dmz-2 "$tmp/wan-http.log")"
in_appliance "$bin" gaiconfig --set NAT_MASQUERADING:0.FROM_IP 0.0.0.0/0 >/dev/null
# LAN -> DMZ: accepted (FW_DMZ_INCOMING_LAN's factory row), not translated.
page=$(ip netns exec "$lan" curl -s --max-time 5 http://192.168.3.10/) || fail "the LAN cannot reach the DMZ"
[ "$page" = dmz ] || fail "the DMZ page from the LAN: $page"
grep -qE "^$lan_ip:[0-9]+: url:/$" "$tmp/dmz-http.log" || fail "LAN -> DMZ translated: $(cat "$tmp/dmz-http.log")"
# WAN -> DMZ: dropped by default (FW_DMZ_INCOMING_WAN is empty) ...
if ip netns exec "$wan" curl -s --max-time 3 -o /dev/null http://192.168.3.10/; then
  fail "the WAN reached the DMZ host"
fi
# ... accepted by a rule of FW_DMZ_INCOMING_WAN, whose line is compared
# field by field with the SYN (the TTL of 64 one less at the forward hook).
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "the DMZ rule was refused"
FW_DMZ_INCOMING_WAN = {
  { COMMENT = "web server in the DMZ" DST_IP = "192.168.3.10/32" DST_PORT = "80" LOG = "yes" PROTO = "tcp" SRC_IP = "10.0.2.0/24" }
}
// End of configuration profile
ATV
page=$(ip netns exec "$wan" curl -s --max-time 5 --local-port 40124 http://192.168.3.10/) || true
[ "$page" = dmz ] || fail "no web page WAN -> DMZ through the rule: '$page'"
line=$(first_line "firewall: fw-dmz-incoming-wan-1-")
[[ "$line" =~ firewall:\ fw-dmz-incoming-wan-1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\ act=ACCEPT\ IN=eth0\ OUT=eth2\ MAC=$wan_mac\ SRC=10\.0\.2\.2\ DST=192\.168\.3\.10\ LEN=60\ TOS=0x00\ PREC=0x00\ TTL=63\ ID=[0-9]+\ DF\ PROTO=TCP\ SPT=40124\ DPT=80\ SEQ=[0-9]+\ ACK=0\ WINDOW=[0-9]+\ SYN\ URGP=0$ ]] ||
  fail "the log line of the SYN WAN -> DMZ: '$line'"
grep -qE "^10\.0\.2\.2:40124: url:/$" "$tmp/dmz-http.log" || fail "WAN -> DMZ translated: $(cat "$tmp/dmz-http.log")"
# DMZ -> LAN: dropped (FW_DMZ_OUTGOING_LAN is empty), and with
# FW_DMZ_LOG_DEFAULT the table's last rule logs it.
ip netns exec "$lan" busybox nc -l -p 9005 >/dev/null 2>&1 &
pids+=($!)
in_appliance "$bin" gaiconfig --set FW_DMZ_LOG_DEFAULT yes >/dev/null
if ip netns exec "$dmz" curl -s --max-time 3 -o /dev/null --local-port 40125 "http://$lan_ip:9005/"; then
  fail "the DMZ reached the LAN host"
fi
line=$(first_line "firewall: fw-dmz-outgoing-lan-0-")
[[ "$line" =~ firewall:\ fw-dmz-outgoing-lan-0-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\ act=DROP\ IN=eth2\ OUT=eth1\ MAC=$dmz_mac\ SRC=192\.168\.3\.10\ DST=$lan_ip\ LEN=60\ TOS=0x00\ PREC=0x00\ TTL=63\ ID=[0-9]+\ DF\ PROTO=TCP\ SPT=40125\ DPT=9005\ SEQ=[0-9]+\ ACK=0\ WINDOW=[0-9]+\ SYN\ URGP=0$ ]] ||
  fail "the log line of the SYN DMZ -> LAN: '$line'"
# Anti-spoofing (4.4.5): an internal source arriving on the DMZ port, and a
# DMZ source arriving on the external port, are dropped and logged.
ip -n "$dmz" addr add 192.168.1.78/32 dev dmz0
ip netns exec "$dmz" busybox ping -c 1 -W 1 -I 192.168.1.78 10.0.2.2 >/dev/null 2>&1 &&
  fail "a spoofed source went from the DMZ to the WAN"
line=$(first_line "firewall: fw-antispoofing-dmz-0- ")
[[ "$line" =~ firewall:\ fw-antispoofing-dmz-0-\ act=DROP\ IN=eth2\ OUT=eth0\ MAC=$dmz_mac\ SRC=192\.168\.1\.78\ DST=10\.0\.2\.2\ LEN=84\ TOS=0x00\ PREC=0x00\ TTL=63\ ID=[0-9]+\ DF\ PROTO=ICMP\ TYPE=8\ CODE=0\ ID=[0-9]+\ SEQ=0$ ]] ||
  fail "the fw-antispoofing-dmz line: '$line'"
ip -n "$dmz" addr del 192.168.1.78/32 dev dmz0
ip -n "$wan" addr add 192.168.3.77/32 dev wan0
ip netns exec "$wan" busybox ping -c 1 -W 1 -I 192.168.3.77 "${wan_address%/*}" >/dev/null 2>&1 || true
line=$(first_line "SRC=192.168.3.77 ")
[[ "$line" =~ firewall:\ fw-antispoofing-ext1-0-\ act=DROP\ IN=eth0\ MAC=$wan_mac\ SRC=192\.168\.3\.77\ DST=${wan_address%/*}\ LEN=84\ TOS=0x00\ PREC=0x00\ TTL=64\ ID=[0-9]+\ DF\ PROTO=ICMP\ TYPE=8\ CODE=0\ ID=[0-9]+\ SEQ=0$ ]] ||
  fail "the fw-antispoofing-ext1 line of a DMZ source: '$line'"
ip -n "$wan" addr del 192.168.3.77/32 dev wan0
# A DMZ network overlapping the internal one is refused and changes nothing.
if in_appliance "$bin" gaiconfig --set DMZ_ADDRESSES:0.ADDRESS 192.168.1.200/24 2>"$tmp/refused"; then
  fail "a DMZ network inside the internal one was accepted"
fi
grep -q "DMZ_ADDRESSES 192.168.1.200/24 overlaps INT_ADDRESSES 192.168.1.1/24: the DMZ needs a network of its own" "$tmp/refused" ||
  fail "refusal: $(cat "$tmp/refused")"
[ "$(in_appliance "$bin" gaiconfig --get DMZ_ADDRESSES:0.ADDRESS)" = 192.168.3.1/24 ] || fail "the refused DMZ address was stored"
[ "$(ip -n "$dev" -4 -o addr show dev eth2 | awk '{print $4}')" = 192.168.3.1/24 ] || fail "the refused change touched eth2"
ip netns exec "$lan" curl -s --max-time 5 -o /dev/null http://192.168.3.10/ || fail "the refused change cut LAN -> DMZ"

# 7. Static addressing and user-defined name servers.
static_profile() {
  cat <<ATV
ROUTER_MODE = "static"
EXT_ADDRESSES = {
  { ADDRESS = "10.0.5.2/24" }
  { ADDRESS = "10.0.6.2/24" }
}
EXT_GATEWAY = "$1"
DNS_MODE = "user"
DNS_SERVERS = {
  { SERVER = "9.9.9.9" }
}
// End of configuration profile
ATV
}
if static_profile 10.9.9.9 | in_appliance "$bin" gaiconfig --set-all 2>"$tmp/refused"; then
  fail "a gateway outside EXT_ADDRESSES was accepted"
fi
grep -q "EXT_GATEWAY 10.9.9.9 lies in no network of EXT_ADDRESSES" "$tmp/refused" || fail "refusal: $(cat "$tmp/refused")"
grep -q "inet $wan_address" <<<"$(ip -n "$dev" -4 addr show dev eth0)" || fail "the refused change touched the lease"
grep -q "default via 10.0.2.2 dev eth0" <<<"$(ip -n "$dev" route show default)" || fail "the refused change touched the route"
[ "$(in_appliance "$bin" gaiconfig --get ROUTER_MODE)" = dhcp ] || fail "the refused change was stored"

static_profile 10.0.5.1 | in_appliance "$bin" gaiconfig --set-all || fail "static mode refused"
addresses=$(ip -n "$dev" -4 -o addr show dev eth0 | awk '{print $4}' | sort | tr '\n' ' ')
[ "$addresses" = "10.0.5.2/24 10.0.6.2/24 " ] || fail "static addresses: $addresses"
grep -q "default via 10.0.5.1 dev eth0" <<<"$(ip -n "$dev" route show default)" || fail "no route via EXT_GATEWAY"
resolv=$(in_appliance cat /run/bulwark/resolv.conf)
[ "$(grep '^nameserver' <<<"$resolv")" = "nameserver 9.9.9.9" ] || fail "resolv.conf in user mode: $resolv"
services=$(in_appliance "$bin" ctl services)
grep -q "^dhclient" <<<"$services" && fail "the DHCP client still runs in static mode: $services"
logged "XF1 (eth0): static address 10.0.5.2/24, 10.0.6.2/24, gateway 10.0.5.1" || fail "no line for static mode"

# 8. The link of XF1 goes down. LINK_SUPERVISION names no port by default:
#    no link alarm so far. With XF1 supervised (by its mGuard 8 name),
#    pulling its cable lights FAULT and logs the alarm (PASSWORD_CHECK is
#    switched off: the factory passwords are in use, an alarm of its own).
if grep -q "alarm raised: link-down" "$tmp/pid1.log"; then
  fail "a link alarm without link supervision: $(grep "alarm raised: link-down" "$tmp/pid1.log")"
fi
in_appliance "$bin" gaiconfig --set-all >/dev/null <<ATV || fail "LINK_SUPERVISION was refused"
LINK_SUPERVISION = {
  { PORT = "WAN" }
}
PASSWORD_CHECK = "ignore"
// End of configuration profile
ATV
fault_led() { in_appliance "$bin" ctl leds | grep -qx "FAULT $1"; }
fault_led off || fail "FAULT is lit with every supervised link up: $(in_appliance "$bin" ctl leds)"
changes() { grep -c "service-mauman: \[011\] Running service loop because an interface changed" "$tmp/pid1.log"; }
before=$(changes || true)
ip -n "$wan" link set wan0 down
more_changes() { [ "$(changes)" -gt "$before" ]; }
eventually more_changes || fail "the link going down was not noticed"
eventually logged "alarm raised: link-down XF1: No connectivity on the interface (link supervision)." ||
  fail "no alarm for the supervised XF1"
fault_led on || fail "FAULT is not lit: $(in_appliance "$bin" ctl leds)"
ip -n "$wan" link set wan0 up
eventually logged "alarm cleared: link-down XF1: No connectivity on the interface (link supervision)." ||
  fail "the alarm of XF1 was not cleared"
eventually fault_led off || fail "FAULT is still lit"

# 9. Power off.
kill -TERM "$pid1"
wait "$outer" || true
logged "init: powering off" || fail "no clean power off"
echo "network_test: all checks passed"
