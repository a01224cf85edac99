#!/usr/bin/env bash
# IPsec against an independent strongSwan peer, in network namespaces of this
# test's own:
#   hostA (192.168.1.10) -- gw: bulwark's core (192.168.1.1 | 10.0.2.1)
#     -- peer: charon-systemd with a swanctl.conf this test writes (10.0.2.2 |
#        10.0.0.1) -- hostB (10.0.0.10)
# The core runs as a process (sim board: the test does the addressing) with
# its data and run directory in a temporary directory. Checks:
#   - an enabled PSK connection set through gaiconfig starts charon, is
#     loaded over VICI and comes up: list-sas shows the IKE SA ESTABLISHED
#     and the CHILD_SA INSTALLED; hostA pings hostB through the tunnel (ESP
#     in UDP 4500, as kernel-libipsec does it on this machine);
#   - an edited connection is loaded again, and only it;
#   - charon killed: the supervisor restarts it, the core reconnects and
#     loads everything again, and the tunnel is back;
#   - the connection disabled: charon stops.
#   - nph-vpn.cgi, nph-action.cgi and nph-status.cgi over HTTPS with curl,
#     answering from the real state (cross-checked with swanctl): the status
#     forms of the enabled connection; once disabled, up starts it (the
#     tunnel comes up, synstat says activated), down ends it, syndown waits
#     for the SAs to go, vpn/start and vpn/stop do the same as up and down;
#     the preconditions of reference 11.3 (CONNECTION_STARTUP wait refuses
#     up, synup and syndown; initiate with REMOTE_GATEWAY %any is refused as
#     a configuration); a wrong key logs the failure;
#   - synup streams its progress lines (each as it happens: the lines before
#     a wait arrive before it ends) and one final line decided from what
#     happened: OKVUP, OKVACT, EVPEERNOENT1 (wrong key; peer without a
#     connection for our identity), EVPEERNOENT2 (peer without our tunnel),
#     EVDIFFALG1 and EVDIFFALG2 (peer accepting only 3DES/MODP1024 in IKE or
#     ESP; our ISAKMP_PROPOSALS or IPSEC_PROPOSALS offering only 3DES/MD5),
#     an IKEv1 connection with proposals and PFS (OKVUP with "P IKEv1" lines;
#     EVDIFFALG1/2 from its informational exchanges), EVTOUT1RESP with "P
#     ikeping" (the peer drops IKE: the core's initiate timeout, 8 s), EVTOUTWRESP (the peer drops IKE_AUTH on port
#     4500: 8 s), EVIFDOWN (no carrier), EVLOOKUPROUT (no route),
#     EVLOOKUPGW (a name no name server knows); a client that goes away withdraws the activation;
#     the lines go into the support snapshot.
#   - X.509 (certificates made with openssl as reference chapter 5 makes
#     them; bulwark's PKCS#12 file and the CA uploaded through the JSON API):
#     the tunnel comes up, started by either side, and hostA pings hostB; a
#     peer certificate with the same subject from another CA is refused; a
#     CRL of the CA revoking the peer's certificate (uploaded in DER through
#     the JSON API) makes it refused, and removing the CRL accepts it again.
# Prints the time from the change to the tunnel as TIME lines.
# Needs root, ip, busybox, charon-systemd, swanctl, tcpdump, curl, openssl. Usage: ipsec_test.sh BULWARK
set -euo pipefail
bin=$(realpath "$1")
id=$$
hostA=bw-ha-$id gw=bw-gw-$id peer=bw-peer-$id hostB=bw-hb-$id
tmp=$(mktemp -d -t bulwark-ipsec.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "$hostA" "$gw" "$peer" "$hostB"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "ipsec_test: FAIL: $*"
  echo "--- core log"; tail -"${FAIL_LINES:-40}" "$tmp/core.log" || true
  echo "--- peer log"; tail -20 "$tmp/peer.log" || true
  exit 1
}
# eventually, now_ms, start_strongswan_peer; gaiconfig, gw_sas, cgi, answers, addr, make_namespaces,
# line_topology, start_core, synup, make_ca, issue, export_p12
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ipsec_lib.sh"
logged() { grep -qF -- "$1" "$tmp/core.log"; }
logged_times() { [ "$(grep -cF -- "$1" "$tmp/core.log")" -ge "$2" ]; }
tunnel_up() {
  local sas
  sas=$(gw_sas) || return 1
  grep -q "ESTABLISHED" <<<"$sas" && grep -q "INSTALLED, TUNNEL" <<<"$sas"
}
ping_through() { ip netns exec "$hostA" busybox ping -c 1 -W 1 10.0.0.10; }
# nph-status.cgi's /vpn/con lines of the connection: armed, ipsec, isakmp, sa_count.
vpn_con() {
  printf '/vpn/con/MAIv200000001/%s\n' "armed=$1" "ipsec=$2" "isakmp=$3" "sa_count=$4" "sa_count_conf=1"
}
state_is() { [ "$(cgi "nph-vpn.cgi?cmd=status&name=plant")" = "$1" ]; }
# swanctl's unique id of the IKE SA (#N) and the CHILD_SA ({N}).
ike_id() { gw_sas | sed -n 's/^MAIv200000001: #\([0-9]*\),.*/\1/p'; }
child_id() { gw_sas | sed -n 's/^  MAIv200000002: #\([0-9]*\),.*/\1/p'; }

# --- the network ---
line_topology "$hostA" "$gw" "$peer" "$hostB"
# Without the tunnel the hosts do not reach each other (no routes between).
if ping_through >/dev/null 2>&1; then fail "hostB is reachable without a tunnel"; fi

# --- the peer: its own charon and swanctl.conf ---
mkdir -p "$tmp/peer"
cat >"$tmp/peer/swanctl.conf" <<CONF
connections {
  gw {
    version = 2
    local_addrs = 10.0.2.2
    remote_addrs = 10.0.2.1
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
secrets {
  ike-gw { secret = "plant-psk-2026" }
}
CONF
start_strongswan_peer "$peer" "$tmp/peer" || fail "the peer's charon did not start"
eventually swanctl --load-all --noprompt --file "$tmp/peer/swanctl.conf" --uri "unix://$tmp/peer/charon.vici" ||
  fail "the peer's swanctl.conf did not load"

# --- the appliance: bulwark's core, with no connection: no charon ---
start_core
sleep 0.3
if logged "starting charon"; then fail "charon started without a connection"; fi

# --- 1. the connection: up, and traffic through the tunnel ---
# The connection "plant" (PSK, to the peer, initiated), ENABLED $1, with
# further cells $2.
plant() {
  gaiconfig --set-all >/dev/null <<ATV || fail "the connection (ENABLED $1, $2) was refused"
VPN_CONNECTION = {
  {
    ROWID = "MAIv200000001"
    AUTH_METHOD = "psk"
    PSK = "plant-psk-2026"
    ENABLED = "$1"
    REMOTE_GATEWAY = "10.0.2.2"
    CONNECTION_STARTUP = "initiate"
    TUNNEL = {
      { ROWID = "MAIv200000002" LOCAL_NET = "192.168.1.0/24" REMOTE_NET = "10.0.0.0/24" }
    }
    VPN_NAME = "plant"
    ${2:-}
  }
}
// End of configuration profile
ATV
}
t0=$(now_ms)
plant yes
eventually tunnel_up || fail "the tunnel did not come up: $(gw_sas)"
t1=$(now_ms)
echo "TIME tunnel up after the change (charon started, loaded, IKEv2 PSK): $((t1 - t0)) ms"
logged "ipsec: starting charon (ESP in user space: kernel-libipsec)" ||
  logged "ipsec: starting charon (kernel ESP)" || fail "no start line"
logged "ipsec: connection plant loaded" || fail "no load line"
eventually logged "ipsec: connection plant: IKE SA established with 10.0.2.2" || fail "no established line"
eventually logged "ipsec: connection plant: tunnel 192.168.1.0/24 === 10.0.0.0/24 up" || fail "no tunnel line"
logged "charon: " || fail "charon's output is not in the log"
if logged "plant-psk-2026"; then fail "the key is in the log"; fi
grep -q "PSK set to '\*\*\*\*\*\*'" "$tmp/core.log" || fail "the change log does not mask the key"
gw_sas | grep -q "MAIv200000001: #[0-9]*, ESTABLISHED, IKEv2" || fail "list-sas: $(gw_sas)"

# The ping goes through the tunnel: ESP in UDP 4500 on the wire between the
# gateways, and nothing else of it.
# (ESP in UDP: the 4 bytes after the UDP header are the SPI, not the zero
# marker of IKE on port 4500.)
ip netns exec "$gw" tcpdump -n -l -i wan0 -c 2 'udp port 4500 and udp[8:4] != 0' >"$tmp/wire" 2>/dev/null &
dump=$!
pids+=("$dump")
sleep 0.5
eventually ping_through || fail "hostA does not reach hostB through the tunnel"
t2=$(now_ms)
ip netns exec "$hostA" busybox ping -q -c 5 10.0.0.10 >"$tmp/ping" || fail "pings lost: $(cat "$tmp/ping")"
kill -TERM "$dump" 2>/dev/null || true
wait "$dump" 2>/dev/null || true
grep -q "10.0.2.1.4500 > 10.0.2.2.4500: UDP-encap: ESP" "$tmp/wire" || fail "no ESP in UDP on the wire: $(cat "$tmp/wire")"
echo "TIME ping through after the change: $((t2 - t0)) ms (0.5 s of it waiting for tcpdump; $(grep -o 'round-trip.*' "$tmp/ping"))"

# --- 2. an edit loads that connection again ---
loads=$(grep -cF "ipsec: connection plant loaded" "$tmp/core.log")
t0=$(now_ms)
gaiconfig --set VPN_CONNECTION:0.SA_LIFETIME 02:00:00 >/dev/null || fail "the edit was refused"
eventually logged_times "ipsec: connection plant loaded" $((loads + 1)) || fail "the edited connection was not reloaded"
eventually tunnel_up || fail "the tunnel is not up after the edit: $(gw_sas)"
eventually ping_through || fail "no ping after the edit"
echo "TIME tunnel up again after an edit: $(($(now_ms) - t0)) ms"
gw_sas | grep -q "rekeying in" || fail "list-sas after the edit: $(gw_sas)"
# Unrelated changes leave it alone.
gaiconfig --set WWW_TIMEOUT 900 >/dev/null
sleep 0.3
[ "$(grep -cF "ipsec: connection plant loaded" "$tmp/core.log")" = $((loads + 1)) ] ||
  fail "an unrelated change reloaded the connection"
# initiate-on-traffic: where ESP is in user space (kernel-libipsec, as on
# this machine) a trap never triggers, so it is initiated at once, and the
# log says so; with kernel ESP the first packet starts it.
gaiconfig --set VPN_CONNECTION:0.CONNECTION_STARTUP initiate-on-traffic >/dev/null || fail "on-traffic was refused"
if logged "ipsec: starting charon (ESP in user space: kernel-libipsec)"; then
  eventually logged "ipsec: connection plant: initiate-on-traffic needs kernel ESP; with ESP in user space" ||
    fail "no line saying that initiate-on-traffic is initiated at once"
  eventually tunnel_up || fail "initiate-on-traffic did not come up: $(gw_sas)"
else
  eventually ping_through || fail "traffic did not start the connection"
fi
gaiconfig --set VPN_CONNECTION:0.CONNECTION_STARTUP initiate >/dev/null || fail "initiate was refused"

# --- 3. charon dies: restarted, reconnected, reloaded ---
charon=$(BULWARK_RUN_DIR=$tmp/run "$bin" ctl services | awk '$1 == "charon" {print $3}')
[[ "$charon" =~ ^[0-9]+$ ]] || fail "no pid of charon in: $(BULWARK_RUN_DIR=$tmp/run "$bin" ctl services)"
loads=$(grep -cF "ipsec: connection plant loaded" "$tmp/core.log")
t0=$(now_ms)
kill -KILL "$charon"
eventually logged "ipsec: connection to charon lost" || fail "the lost connection was not noticed"
eventually logged_times "ipsec: connection plant loaded" $((loads + 1)) || fail "not reloaded after charon's restart"
eventually tunnel_up || fail "the tunnel is not back after charon's restart: $(gw_sas)"
eventually ping_through || fail "no ping after charon's restart"
echo "TIME tunnel back after charon was killed: $(($(now_ms) - t0)) ms"

# --- 4. the status forms of the enabled connection, from the real state ---
answers "nph-vpn.cgi?cmd=status&name=plant" "active"
answers "nph-vpn.cgi?cmd=status&name=*" "plant: active"
answers "nph-vpn.cgi?cmd=status&name=nothing" "unknown"
answers "nph-vpn.cgi?cmd=synstat&name=plant" "R OKVST1 id=MAIv200000001 enabled=yes activated=no"
answers "nph-vpn.cgi?cmd=synstat&name=nothing" "F ENOENT msg=No VPN connection is named nothing."
answers "nph-status.cgi?path=/vpn/con&name=plant" "$(vpn_con yes up up 1)"
# 11.3.1: an enabled connection is not switched through the CGI.
answers "nph-vpn.cgi?cmd=down&name=plant" "F EINVAL msg=The VPN connection plant is enabled in the configuration; \
only a disabled connection is switched on and off this way (reference 11.3.1)."
answers "nph-action.cgi?action=vpn/stop&name=plant" "F EINVAL msg=The VPN connection plant is enabled in the \
configuration; only a disabled connection is switched on and off this way (reference 11.3.1)."
tunnel_up || fail "down of an enabled connection changed something: $(gw_sas)"
full=$(cgi "nph-vpn.cgi?cmd=status")
ike=$(ike_id) child=$(child_id)
[[ "$ike" =~ ^[0-9]+$ && "$child" =~ ^[0-9]+$ ]] || fail "no SA ids in: $(gw_sas)"
# Every field but the lifetimes (which count down) and the algorithms, as
# charon has them; these two have their form checked.
expected="fullname plant
name MAIv200000002
leftnet 192.168.1.0/24
leftgw 10.0.2.1
leftnatport
leftid 10.0.2.1
leftproto
leftport
rightnet 10.0.0.0/24
rightgw 10.0.2.2
rightnatport 4500
rightid 10.0.2.2
rightproto
rightport
isakmp $ike
isakmp-txt ESTABLISHED
ipsec $child
ipsec-txt INSTALLED"
[ "$(grep -v -e '-ltime ' -e '-algo ' <<<"$full")" = "$expected" ] || fail "cmd=status answered:
$full
expected (without lifetimes and algorithms):
$expected"
grep -qE '^isakmp-ltime [0-9]+s$' <<<"$full" || fail "no isakmp-ltime in: $full"
grep -qE '^ipsec-ltime [0-9]+s$' <<<"$full" || fail "no ipsec-ltime in: $full"
# The algorithms are those swanctl shows (it writes AES_CBC-128 for our AES_CBC_128).
ike_algo=$(sed -n 's/^isakmp-algo //p' <<<"$full")
gw_sas | grep -qF "$(cut -d- -f1 <<<"$ike_algo" | sed 's/_\([0-9]*\)$/-\1/')" ||
  fail "isakmp-algo $ike_algo is not what swanctl shows: $(gw_sas)"

# --- 5. disabled: charon stops ---
gaiconfig --set VPN_CONNECTION:0.ENABLED no >/dev/null || fail "disabling was refused"
eventually logged "ipsec: no IPsec connection is enabled: charon stopped" || fail "charon was not stopped"
eventually bash -c "! BULWARK_RUN_DIR=$tmp/run $bin ctl services | grep -q '^charon'" ||
  fail "charon is still declared: $(BULWARK_RUN_DIR=$tmp/run "$bin" ctl services)"
if ping_through >/dev/null 2>&1; then fail "hostB is still reachable with the connection disabled"; fi
answers "nph-vpn.cgi?cmd=status&name=plant" "void"
answers "nph-vpn.cgi?cmd=synstat&name=plant" "R OKVST1 id=MAIv200000001 enabled=no activated=no"
answers "nph-vpn.cgi?cmd=syndown&name=plant" "R OKVNOTACT"
answers "nph-vpn.cgi?cmd=status" ""

# --- 6. up: the disabled connection is activated and comes up ---
t0=$(now_ms)
answers "nph-vpn.cgi?cmd=up&name=plant" "ready"
eventually state_is active || fail "up did not bring the connection up: $(cgi "nph-vpn.cgi?cmd=status&name=plant")"
echo "TIME active after cmd=up (charon started, loaded, IKEv2 PSK): $(($(now_ms) - t0)) ms"
tunnel_up || fail "status says active, swanctl does not: $(gw_sas)"
eventually ping_through || fail "no ping through the tunnel after up"
logged "ipsec: connection plant activated" || fail "no activation line"
answers "nph-vpn.cgi?cmd=synstat&name=plant" "R OKVST1 id=MAIv200000001 enabled=no activated=yes ike=OK ipsec=OK"
answers "nph-vpn.cgi?cmd=status&name=*" "plant: active"
cgi "nph-vpn.cgi?cmd=status" | grep -qx "fullname plant" || fail "an activated connection is not in cmd=status"
cgi "nph-vpn.cgi?cmd=status" | grep -qx "ipsec $(child_id)" || fail "cmd=status: $(cgi "nph-vpn.cgi?cmd=status")"
# up again while it is up: nothing changes.
answers "nph-vpn.cgi?cmd=up&name=plant" "active"

# --- 7. down: the SAs are deleted (the answer is the state when asked) ---
answers "nph-vpn.cgi?cmd=down&name=plant" "active"
eventually state_is void || fail "down did not end the connection"
eventually logged "ipsec: no IPsec connection is enabled: charon stopped" || fail "charon was not stopped"
if ping_through >/dev/null 2>&1; then fail "hostB is reachable after down"; fi
answers "nph-vpn.cgi?cmd=synstat&name=plant" "R OKVST1 id=MAIv200000001 enabled=no activated=no"
# The peer was told: its IKE SA is gone too.
peer_sas() { swanctl --list-sas --uri "unix://$tmp/peer/charon.vici" 2>&1; }
eventually bash -c "! swanctl --list-sas --uri unix://$tmp/peer/charon.vici | grep -q ESTABLISHED" ||
  fail "the peer still has the SA: $(peer_sas)"

# --- 8. syndown: answers once the SAs are gone ---
answers "nph-vpn.cgi?cmd=up&name=plant" "ready"
eventually state_is active || fail "the second up did not bring the connection up"
answers "nph-vpn.cgi?cmd=syndown&name=plant" "R OKVDOWN"
answers "nph-vpn.cgi?cmd=status&name=plant" "void"
if peer_sas | grep -q ESTABLISHED; then fail "syndown answered before the peer's SA was gone: $(peer_sas)"; fi
answers "nph-vpn.cgi?cmd=syndown&name=plant" "R OKVNOTACT"

# --- 9. nph-action.cgi vpn/start and vpn/stop, nph-status.cgi /vpn/con ---
answers "nph-action.cgi?action=vpn/start&name=plant" "OK"
eventually state_is active || fail "vpn/start did not bring the connection up"
answers "nph-status.cgi?path=/vpn/con&name=plant" "$(vpn_con yes up up 1)"
answers "nph-action.cgi?action=vpn/stop&rowid=MAIv200000001" "OK"
eventually state_is void || fail "vpn/stop did not end the connection"
answers "nph-status.cgi?path=/vpn/con&name=plant" "$(vpn_con no down down 0)"
answers "nph-action.cgi?action=vpn/start&rowid=MAIv999999999" "F ENOENT msg=No VPN connection has the row id MAIv999999999."

# --- 10. the preconditions and a failure ---
answers "nph-vpn.cgi?cmd=up&name=nothing" "unknown"
# 11.3.2: a connection that waits (CONNECTION_STARTUP wait) is not switched.
gaiconfig --set VPN_CONNECTION:0.CONNECTION_STARTUP wait >/dev/null || fail "the startup edit was refused"
waits="F EINVAL msg=The VPN connection plant waits for its peer (CONNECTION_STARTUP wait), which cannot be switched \
this way (reference 11.3.2)."
answers "nph-vpn.cgi?cmd=up&name=plant" "$waits"
answers "nph-vpn.cgi?cmd=synup&name=plant" "$waits"
answers "nph-vpn.cgi?cmd=syndown&name=plant" "$waits"
answers "nph-vpn.cgi?cmd=status&name=plant" "void"
gaiconfig --set VPN_CONNECTION:0.CONNECTION_STARTUP initiate >/dev/null || fail "the startup edit was refused"
# Initiating needs a peer: %any with initiate is refused, and nothing changes.
if refused=$(gaiconfig --set VPN_CONNECTION:0.REMOTE_GATEWAY %any 2>&1); then fail "initiate with %any was taken"; fi
grep -qF "The VPN connection plant: CONNECTION_STARTUP is initiate but REMOTE_GATEWAY is %any" <<<"$refused" ||
  fail "initiate with %any was refused otherwise: $refused"
[ "$(gaiconfig --get VPN_CONNECTION:0.REMOTE_GATEWAY)" = 10.0.2.2 ] || fail "the refused change changed the gateway"
gaiconfig --set VPN_CONNECTION:0.PSK wrong-key-2026 >/dev/null || fail "the key edit was refused"
answers "nph-vpn.cgi?cmd=up&name=plant" "ready"
eventually logged "ipsec: connection plant failed: received AUTHENTICATION_FAILED notify error" ||
  fail "the failure was not logged"
state_is active && fail "active with a wrong key"
answers "nph-vpn.cgi?cmd=syndown&name=plant" "R OKVDOWN"

# --- 11. synup: progress lines streamed, the final code from what happened ---
# The five lines every synup to 10.0.2.2 starts with (reference 11.4.3.3).
head_re='^[0-9]+ P synup name=plant
[0-9]+ P deviceinfo uptime=[0-9]+\.[0-9]{2} tstamp=[0-9]{14}[a-e] serial=[^ ]+ hostname=[^ ]+
[0-9]+ P vpnconn uptime=[0-9]+\.[0-9]{2} id=MAIv200000001 gw=10\.0\.2\.2
[0-9]+ P dnslookup uptime=[0-9]+\.[0-9]{2} ip=10\.0\.2\.2
[0-9]+ P routeinfo uptime=[0-9]+\.[0-9]{2} via=wan0\(10\.0\.2\.1\) ifstate=up$'
# Runs synup and checks its head, that exactly the last line is final and
# that it begins with $2; the lines are left in $out.
synup_ends() {
  out=$(synup plant "${3:-20}")
  [ -z "${SYNUP_SHOW:-}" ] || echo "$out" >&2
  [ "$(grep -c ' [RF] ' <<<"$out")" = 1 ] || fail "synup: not exactly one final line: $out"
  tail -1 <<<"$out" | grep -q "^[0-9]* $1 uptime=[0-9.]* msg=" || fail "synup: expected $1: $out"
  [[ "$(head -5 <<<"$out")" =~ $head_re ]] || fail "synup: the first five lines: $out"
  if [ "$2" = activated ]; then
    answers "nph-vpn.cgi?cmd=synstat&name=plant" "R OKVST1 id=MAIv200000001 enabled=no activated=yes ike=OK ipsec=OK"
  else
    answers "nph-vpn.cgi?cmd=synstat&name=plant" "R OKVST1 id=MAIv200000001 enabled=no activated=no"
  fi
}
# The peer's connection, changed for one case: proposals, the identity it
# expects of us, the network it expects behind us, the IKE version.
peer_conf() {
  local ike=${1:-default} esp=${2:-default} id=${3:-10.0.2.1} ts=${4:-192.168.1.0/24} version=${5:-2}
  cat >"$tmp/peer/case.conf" <<CONF
connections {
  gw {
    version = $version
    local_addrs = 10.0.2.2
    remote_addrs = 10.0.2.1
    proposals = $ike
    local { auth = psk }
    remote { auth = psk
      id = $id }
    children {
      net {
        local_ts = 10.0.0.0/24
        remote_ts = $ts
        esp_proposals = $esp
      }
    }
  }
}
secrets {
  ike-gw { secret = "plant-psk-2026" }
}
CONF
  swanctl --load-all --noprompt --file "$tmp/peer/case.conf" --uri "unix://$tmp/peer/charon.vici" >/dev/null ||
    fail "the peer's $1 $2 $3 $4 did not load"
}

# The key is still wrong from 10: the peer refuses our authentication.
synup_ends "F EVPEERNOENT1" deactivated
grep -q " P IKEv2 uptime=[0-9.]* state=ike_auth-i2 notify=AUTHENTICATION_FAILED$" <<<"$out" || fail "synup: $out"
gaiconfig --set VPN_CONNECTION:0.PSK plant-psk-2026 >/dev/null || fail "the key edit was refused"
t0=$(now_ms)
synup_ends "R OKVUP" activated
echo "TIME synup to OKVUP: $(($(now_ms) - t0)) ms"
for step in "newstate=connecting id=#[0-9]* to=10.0.2.2" "newstate=ike_sa_init-i1 send=IKE_SA_INIT" \
  "newstate=ike_sa_init-i2 rcvd=IKE_SA_INIT" "newstate=ike_auth-i1 send=IKE_AUTH" "isakmp-sa=established id=#[0-9]*" \
  "ipsec-sa=established id=#[0-9]* msg=IPsec SA 1 out of 1 is established on this side."; do
  grep -q " P IKEv2 uptime=[0-9.]* $step$" <<<"$out" || fail "synup: no line $step: $out"
done
tail -1 <<<"$out" | grep -q " R OKVUP uptime=[0-9.]* msg=The connection is established on this side.$" || fail "$out"
[ "$(ike_id)" ] && grep -q "isakmp-sa=established id=#$(ike_id)$" <<<"$out" || fail "id is not swanctl's: $(gw_sas)"
eventually ping_through || fail "no traffic through the tunnel after synup"
synup_ends "R OKVACT" activated
answers "nph-vpn.cgi?cmd=syndown&name=plant" "R OKVDOWN"

peer_conf 3des-sha1-modp1024
synup_ends "F EVDIFFALG1" deactivated
peer_conf default 3des-sha1
synup_ends "F EVDIFFALG2" deactivated
# The same from our side: proposals (ISAKMP_PROPOSALS, IPSEC_PROPOSALS) the
# peer's defaults do not take.
peer_conf
plant no 'ISAKMP_PROPOSALS = { { ENCRYPTION = "3DES" HASH = "MD5" DH_GROUP = "MODP-1024" } }'
synup_ends "F EVDIFFALG1" deactivated
plant no 'IPSEC_PROPOSALS = { { ENCRYPTION = "3DES" HASH = "MD5" } }'
synup_ends "F EVDIFFALG2" deactivated
# IKEv1 (Main Mode, Quick Mode) with proposals and PFS on both sides: the
# progress lines are IKEv1's.
peer_conf aes256-sha256-modp2048 aes256-sha256-modp2048 10.0.2.1 192.168.1.0/24 1
plant no 'IKE_VERSION = "ikev1" PFS = "yes"
    ISAKMP_PROPOSALS = { { ENCRYPTION = "AES-256" HASH = "SHA-256" DH_GROUP = "MODP-2048" } }
    IPSEC_PROPOSALS = { { ENCRYPTION = "AES-256" HASH = "SHA-256" } }'
t0=$(now_ms)
synup_ends "R OKVUP" activated
echo "TIME synup to OKVUP with IKEv1: $(($(now_ms) - t0)) ms"
for step in "newstate=connecting id=#[0-9]* to=10.0.2.2" "newstate=main-i1 send=ID_PROT" \
  "newstate=main-i3 send=ID_PROT" "newstate=main-i4 rcvd=ID_PROT" "isakmp-sa=established id=#[0-9]*" \
  "newstate=quick-i1 send=QUICK_MODE" "newstate=quick-i2 rcvd=QUICK_MODE" \
  "ipsec-sa=established id=#[0-9]* msg=IPsec SA 1 out of 1 is established on this side."; do
  grep -q " P IKEv1 uptime=[0-9.]* $step$" <<<"$out" || fail "synup: no IKEv1 line $step: $out"
done
if grep -q " P IKEv2 " <<<"$out"; then fail "IKEv2 lines for an IKEv1 connection: $out"; fi
gw_sas | grep -q "MAIv200000001: #[0-9]*, ESTABLISHED, IKEv1" || fail "not IKEv1: $(gw_sas)"
gw_sas | grep -q "AES_CBC-256/HMAC_SHA2_256_128/MODP_2048" || fail "not the proposals asked for: $(gw_sas)"
eventually ping_through || fail "no traffic through the IKEv1 tunnel"
answers "nph-vpn.cgi?cmd=syndown&name=plant" "R OKVDOWN"
# IKEv1's mismatches come in an informational exchange: the same codes.
plant no 'IKE_VERSION = "ikev1"
    ISAKMP_PROPOSALS = { { ENCRYPTION = "3DES" HASH = "MD5" DH_GROUP = "MODP-1024" } }'
synup_ends "F EVDIFFALG1" deactivated
grep -q " P IKEv1 uptime=[0-9.]* state=main-i1 notify=NO_PROPOSAL_CHOSEN$" <<<"$out" || fail "synup: $out"
plant no 'IKE_VERSION = "ikev1" PFS = "yes"
    ISAKMP_PROPOSALS = { { ENCRYPTION = "AES-256" HASH = "SHA-256" DH_GROUP = "MODP-2048" } }
    IPSEC_PROPOSALS = { { ENCRYPTION = "3DES" HASH = "MD5" } }'
synup_ends "F EVDIFFALG2" deactivated
plant no
peer_conf default default 10.9.9.9
synup_ends "F EVPEERNOENT1" deactivated
peer_conf default default 10.0.2.1 192.168.77.0/24
synup_ends "F EVPEERNOENT2" deactivated
grep -q "notify=TS_UNACCEPTABLE ipsec-sa=none$" <<<"$out" || fail "synup: $out"
peer_conf

# The peer drops IKE: charon's first message stays unanswered.
ip netns exec "$peer" nft -f - <<NFT
table inet drop_ike {
  chain input {
    type filter hook input priority 0
    udp dport { 500, 4500 } drop
  }
}
NFT
synup_ends "F EVTOUT1RESP" deactivated
grep -q " P ikeping uptime=[0-9.]* to=10.0.2.2:500 via=wan0 response=no$" <<<"$out" || fail "no ikeping: $out"
# Streamed: the routeinfo line came at once, the final one after the timeout.
waited=$(( $(tail -1 <<<"$out" | cut -d' ' -f1) - $(sed -n 5p <<<"$out" | cut -d' ' -f1) ))
[ "$waited" -ge 5000 ] || fail "the lines were not streamed as they came ($waited ms between routeinfo and the end)"
# A client that goes away: the attempt ends, the activation is withdrawn.
unloads=$(grep -cF "connection plant unloaded" "$tmp/core.log")
out=$(synup plant 2) || true
grep -q " P routeinfo " <<<"$out" || fail "synup: $out"
if grep -q " [RF] " <<<"$out"; then fail "a final line within 2 s: $out"; fi
answers "nph-vpn.cgi?cmd=synstat&name=plant" "R OKVST1 id=MAIv200000001 enabled=no activated=no"
eventually logged_times "connection plant unloaded" $((unloads + 1)) || fail "the abandoned attempt was not withdrawn"
ip netns exec "$peer" nft delete table inet drop_ike
# The peer answers IKE_SA_INIT on port 500, then drops what comes to 4500
# (charon moves there for IKE_AUTH).
ip netns exec "$peer" nft -f - <<NFT
table inet drop_ike {
  chain input {
    type filter hook input priority 0
    udp dport 4500 drop
  }
}
NFT
synup_ends "F EVTOUTWRESP" deactivated
grep -q " P IKEv2 uptime=[0-9.]* newstate=ike_sa_init-i2 rcvd=IKE_SA_INIT$" <<<"$out" || fail "synup: $out"
if grep -q " P ikeping " <<<"$out"; then fail "an ikeping after the peer answered: $out"; fi
ip netns exec "$peer" nft delete table inet drop_ike

# No carrier on the way to the peer; then a name no name server knows.
ip -n "$peer" link set wan0 down
out=$(synup plant)
tail -1 <<<"$out" | grep -q " F EVIFDOWN uptime=[0-9.]* msg=The interface wan0 has no uplink.$" || fail "$out"
grep -q " P routeinfo uptime=[0-9.]* via=wan0(10.0.2.1) ifstate=error$" <<<"$out" || fail "$out"
ip -n "$peer" link set wan0 up
# No route to the peer (the gateway's namespace has no default route).
gaiconfig --set VPN_CONNECTION:0.REMOTE_GATEWAY 172.16.0.1 >/dev/null || fail "the gateway edit was refused"
out=$(synup plant)
tail -1 <<<"$out" | grep -q " F EVLOOKUPROUT uptime=[0-9.]* msg=No route to 172.16.0.1: " || fail "$out"
grep -q " P dnslookup uptime=[0-9.]* ip=172.16.0.1$" <<<"$out" || fail "$out"
gaiconfig --set VPN_CONNECTION:0.REMOTE_GATEWAY gw.invalid >/dev/null || fail "the gateway edit was refused"
out=$(synup plant)
tail -1 <<<"$out" | grep -q " F EVLOOKUPGW uptime=[0-9.]* msg=The host name gw.invalid could not be resolved" ||
  fail "$out"
if grep -q " P dnslookup" <<<"$out"; then fail "dnslookup without an address: $out"; fi
gaiconfig --set VPN_CONNECTION:0.REMOTE_GATEWAY 10.0.2.2 >/dev/null || fail "the gateway edit was refused"

# The snapshot keeps the lines of these synups.
cgi "nph-diag.cgi?cmd=snapshot" >"$tmp/snapshot.tar.gz" || fail "no snapshot"
tar -xzf "$tmp/snapshot.tar.gz" -C "$tmp" --wildcards '*/vpn-diagnostics.txt' || fail "no vpn-diagnostics.txt"
diag=$(cat "$tmp"/snapshot-*/vpn-diagnostics.txt)
for code in "R OKVUP" "R OKVACT" "F EVDIFFALG1" "F EVDIFFALG2" "F EVPEERNOENT2" "F EVTOUT1RESP" "F EVTOUTWRESP" \
  "F EVIFDOWN" "F EVLOOKUPROUT" "F EVLOOKUPGW"; do
  grep -q "^$code uptime=" <<<"$diag" || fail "the snapshot has no $code: $diag"
done
if grep -q "plant-psk-2026" "$tmp"/snapshot-*/vpn-diagnostics.txt; then fail "a key in the snapshot"; fi

# --- 12. X.509: certificates made with openssl as reference chapter 5 makes them ---
# A CA (5.2-5.4), a certificate for bulwark (mGuard1) and one for the peer
# (mGuard2) (5.5, 5.6, 5.8), bulwark's as PKCS#12 with a password (5.7). A
# second CA issues the peer a certificate with the same subject: it must be
# refused. 2048-bit keys instead of the reference's 4096: only faster.
make_ca "$tmp/ca" CA
issue "$tmp/ca" mGuard1
issue "$tmp/ca" mGuard2
export_p12 "$tmp/ca" mGuard1 p12-pass-2026
make_ca "$tmp/rogue" CA
issue "$tmp/rogue" mGuard2
openssl x509 -in "$tmp/ca/certs/mGuard2.crt" -noout -subject -nameopt RFC2253 | grep -qx "subject=CN=mGuard2,OU=Support,O=PHOENIX CONTACT Cyber Security AG,C=DE" || fail "unexpected subject"

# Uploaded through the JSON API over HTTPS, as the WBM does.
api() { ip netns exec "$gw" curl -sk --max-time 20 -u admin:mGuard "$@"; }
answer=$(api -H "X-Pkcs12-Password: p12-pass-2026" --data-binary "@$tmp/ca/certs/mGuard1.p12" \
  "https://127.0.0.1:8443/api/v1/certificates/machine/gw/upload") || fail "the machine certificate upload failed"
machine=$(sed -n 's/.*"rowid":"\(MAIv[0-9]*\)".*/\1/p' <<<"$answer")
[ -n "$machine" ] || fail "the machine certificate was refused: $answer"
answer=$(api --data-binary "@$tmp/ca/private/mGuard1.key" "https://127.0.0.1:8443/api/v1/certificates/ca/bad/upload")
grep -q '"error":"The upload is not a certificate in PEM' <<<"$answer" || fail "a key as CA certificate: $answer"
answer=$(api --data-binary "@$tmp/ca/certs/ca.crt" "https://127.0.0.1:8443/api/v1/certificates/ca/plant-ca/upload") ||
  fail "the CA certificate upload failed"
caRow=$(sed -n 's/.*"rowid":"\(MAIv[0-9]*\)".*/\1/p' <<<"$answer")
[ -n "$caRow" ] || fail "the CA certificate was refused: $answer"
[ "$(stat -c %a "$tmp/data/pki/machine/$machine.key")" = 600 ] || fail "the key file is not 0600"

# The peer: its own certificate and key, the CA, and bulwark's identity by its DN.
openssl pkey -in "$tmp/ca/private/mGuard2.key" -passin pass:key-pass -out "$tmp/peer/good.key"
openssl pkey -in "$tmp/rogue/private/mGuard2.key" -passin pass:key-pass -out "$tmp/peer/rogue.key"
# swanctl reads keys only from the private/ folder next to its swanctl.conf.
peer_x509() {
  mkdir -p "$tmp/peer/swanctl/private"
  cp "$2" "$tmp/peer/swanctl/private/peer.key"
  cat >"$tmp/peer/swanctl/swanctl.conf" <<CONF
connections {
  gw {
    version = 2
    local_addrs = 10.0.2.2
    remote_addrs = 10.0.2.1
    local { auth = pubkey
            certs = $1 }
    remote { auth = pubkey
             cacerts = $tmp/ca/certs/ca.crt
             id = "C=DE, O=PHOENIX CONTACT Cyber Security AG, OU=Support, CN=mGuard1" }
    children {
      net {
        local_ts = 10.0.0.0/24
        remote_ts = 192.168.1.0/24
      }
    }
  }
}
CONF
  swanctl --load-all --clear --noprompt --file "$tmp/peer/swanctl/swanctl.conf" --uri "unix://$tmp/peer/charon.vici" \
    >"$tmp/peer/load" 2>&1 || fail "the peer's X.509 swanctl.conf did not load: $(cat "$tmp/peer/load")"
  grep -q "key from" "$tmp/peer/load" ||
    fail "the peer did not load its key: $(cat "$tmp/peer/load")"
}
peer_x509 "$tmp/ca/certs/mGuard2.crt" "$tmp/peer/good.key"

t0=$(now_ms)
gaiconfig --set-all >/dev/null <<ATV || fail "the X.509 connection was refused"
VPN_CONNECTION = {
  {
    ROWID = "MAIv200000003"
    AUTH_METHOD = "x509"
    LOCAL_CERT_REF = "$machine"
    REMOTE_CA_REF = "$caRow"
    REMOTE_GATEWAY = "10.0.2.2"
    CONNECTION_STARTUP = "initiate"
    TUNNEL = {
      { ROWID = "MAIv200000004" LOCAL_NET = "192.168.1.0/24" REMOTE_NET = "10.0.0.0/24" }
    }
    VPN_NAME = "plant-x509"
  }
}
// End of configuration profile
ATV
eventually tunnel_up || fail "the X.509 tunnel did not come up: $(gw_sas)"
echo "TIME X.509 tunnel up after the change: $(($(now_ms) - t0)) ms"
eventually ping_through || fail "hostA does not reach hostB through the X.509 tunnel"
gw_sas | grep -q "remote 'C=DE, O=PHOENIX CONTACT Cyber Security AG, OU=Support, CN=mGuard2'" ||
  fail "the peer is not known by its certificate's DN: $(gw_sas)"
logged "ipsec: connection plant-x509 loaded" || fail "no load line for the X.509 connection"
if logged "refused its"; then fail "charon refused a credential: $(grep 'refused its' "$tmp/core.log")"; fi
key_line=$(openssl pkey -in "$tmp/ca/private/mGuard1.key" -passin pass:key-pass | sed -n 5p)
if logged "$key_line"; then fail "the private key is in the log"; fi

# The peer starts it too, with the same certificate: accepted.
swanctl --terminate --ike gw --uri "unix://$tmp/peer/charon.vici" >/dev/null 2>&1 || true
eventually bash -c "! swanctl --list-sas --uri unix://$tmp/run/charon.vici | grep -q ESTABLISHED" ||
  fail "the SA did not go: $(gw_sas)"
swanctl --initiate --child net --uri "unix://$tmp/peer/charon.vici" >"$tmp/initiate" 2>&1 ||
  fail "the peer could not start the connection with its good certificate: $(tail -5 "$tmp/initiate")"
eventually tunnel_up || fail "not up after the peer started it: $(gw_sas)"

# A certificate of the same name from another CA: refused.
swanctl --terminate --ike gw --uri "unix://$tmp/peer/charon.vici" >/dev/null 2>&1 || true
eventually bash -c "! swanctl --list-sas --uri unix://$tmp/run/charon.vici | grep -q ESTABLISHED" ||
  fail "the SA did not go: $(gw_sas)"
peer_x509 "$tmp/rogue/certs/mGuard2.crt" "$tmp/peer/rogue.key"
if swanctl --initiate --child net --uri "unix://$tmp/peer/charon.vici" >"$tmp/initiate" 2>&1; then
  fail "a peer certificate of another CA was accepted: $(gw_sas)"
fi
grep -q "AUTHENTICATION_FAILED" "$tmp/initiate" || fail "the rogue peer failed otherwise: $(tail -5 "$tmp/initiate")"
if tunnel_up; then fail "a tunnel is up with the rogue certificate: $(gw_sas)"; fi
if ping_through >/dev/null 2>&1; then fail "hostB is reachable with the rogue certificate"; fi

# --- 13. A CRL (reference 6.8): the CA revokes the peer's certificate; the
# CRL uploaded (DER, as XCA exports it) makes bulwark refuse the good
# certificate; removed, it is accepted again (charon's credentials cleared
# and given again).
# The CRL names the CA's key (authorityKeyIdentifier), as XCA's do: the
# reference's openssl.conf has no CRL section, so the test adds one.
{ cat "$tmp/ca/openssl.conf"; printf '\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n'; } >"$tmp/ca/crl.conf"
(cd "$tmp/ca" && openssl ca -config openssl.conf -revoke certs/mGuard2.crt -passin pass:ca-pass -batch &&
  openssl ca -config openssl.conf -gencrl -crldays 30 -out bare.pem -passin pass:ca-pass -batch &&
  openssl ca -config crl.conf -gencrl -crlexts crl_ext -crldays 30 -out crl.pem -passin pass:ca-pass -batch &&
  openssl crl -in crl.pem -outform DER -out crl.der) >/dev/null 2>&1 || fail "openssl: the CRL"
answer=$(api --data-binary "@$tmp/ca/certs/ca.crt" "https://127.0.0.1:8443/api/v1/certificates/crl/bad/upload")
grep -q '"error":"No PEM CRL found' <<<"$answer" || fail "a certificate as CRL: $answer"
answer=$(api --data-binary "@$tmp/ca/bare.pem" "https://127.0.0.1:8443/api/v1/certificates/crl/bare/upload")
grep -q 'has no authorityKeyIdentifier extension' <<<"$answer" || fail "a CRL charon would never consult: $answer"
answer=$(api --data-binary "@$tmp/ca/crl.der" "https://127.0.0.1:8443/api/v1/certificates/crl/plant-crl/upload") ||
  fail "the CRL upload failed"
crlRow=$(sed -n 's/.*"rowid":"\(MAIv[0-9]*\)".*/\1/p' <<<"$answer")
[ -n "$crlRow" ] || fail "the CRL was refused: $answer"
listed=$(api "https://127.0.0.1:8443/api/v1/certificates")
grep -q '"crl":\[{"issuer":"CN=CA,OU=Support,O=PHOENIX CONTACT Cyber Security AG,C=DE","last_update":"[^"]*","name":"plant-crl","next_update":"[^"]*","revoked":1,"rowid":"'"$crlRow"'"}\]' <<<"$listed" ||
  fail "the CRL is not listed: $listed"
# The connection is loaded again with the CRL (the peer still has the rogue
# certificate: nothing is up); then the peer takes its good one back.
eventually logged_times "ipsec: connection plant-x509 loaded" 2 || fail "the connection was not loaded with the CRL"
if tunnel_up; then fail "a tunnel is up before the good certificate is back: $(gw_sas)"; fi
peer_x509 "$tmp/ca/certs/mGuard2.crt" "$tmp/peer/good.key"
if swanctl --initiate --child net --uri "unix://$tmp/peer/charon.vici" >"$tmp/initiate" 2>&1; then
  fail "a revoked peer certificate was accepted: $(gw_sas)"
fi
grep -q "AUTHENTICATION_FAILED" "$tmp/initiate" || fail "the revoked peer failed otherwise: $(tail -5 "$tmp/initiate")"
sleep 2  # bulwark keeps initiating (CONNECTION_STARTUP initiate): none of its attempts may succeed either
if tunnel_up; then fail "a tunnel is up with a revoked certificate: $(gw_sas)"; fi
answer=$(api -X DELETE "https://127.0.0.1:8443/api/v1/certificates/crl/$crlRow") || fail "the CRL delete failed"
[ "$answer" = '{"ok":true}' ] || fail "the CRL was not deleted: $answer"
eventually logged "ipsec: a CRL was removed: charon's credentials are given again" || fail "no line for the removed CRL"
swanctl --terminate --ike gw --uri "unix://$tmp/peer/charon.vici" >/dev/null 2>&1 || true
swanctl --initiate --child net --uri "unix://$tmp/peer/charon.vici" >"$tmp/initiate" 2>&1 ||
  eventually tunnel_up || fail "the certificate is still refused after the CRL went: $(tail -5 "$tmp/initiate")"
eventually tunnel_up || fail "not up once the CRL went: $(gw_sas)"
eventually ping_through || fail "hostA does not reach hostB once the CRL went"

kill -TERM "$core"
wait "$core" || fail "the core did not stop cleanly"
echo "ipsec_test: ok"
