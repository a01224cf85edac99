#!/usr/bin/env bash
# Two bulwark appliances against each other (issue 6), in network namespaces
# of this test's own:
#   hostA (192.168.1.10) -- gwA: bulwark core #1 (192.168.1.1 | 10.0.2.1)
#     -- WAN link -- gwB: bulwark core #2 (10.0.2.2 | 10.0.0.1) -- hostB (10.0.0.10)
# Each core runs as a process (sim board: the test does the addressing) with
# its own data and run directories, and is configured only as a user would
# do it from outside: through its JSON API over HTTPS (/api/v1/config,
# /api/v1/certificates/...) or a profile uploaded and restored
# (/api/v1/profiles/<name>/upload, /restore). gwA initiates (ENABLED no,
# CONNECTION_STARTUP initiate, REMOTE_GATEWAY gwB's address: switched with
# nph-vpn.cgi), gwB waits (ENABLED yes, CONNECTION_STARTUP wait,
# REMOTE_GATEWAY %any). Checks:
#   a) PSK, IKEv2 (gwB configured by a profile): synup on gwA answers the
#      progress lines and R OKVUP; hostA pings hostB and hostB hostA; gwB's
#      cmd=status&name= says active; syndown on gwA answers R OKVDOWN and
#      gwB's connection goes back to ready.
#   b) X.509 as reference 6.9 describes it: one CA (openssl, reference
#      chapter 5), a PKCS#12 machine certificate per appliance, and each
#      appliance's own certificate (PEM) as the other's connection
#      certificate (REMOTE_CERTIFICATE; then on gwA the same uploaded as a
#      remote certificate, REMOTE_CERT_REF): the tunnel comes up, each side knows
#      the other by its certificate's DN, the ping goes through; then gwB
#      accepts by the uploaded CA (REMOTE_CA_REF) instead: up again; gwB
#      pinned to another certificate of the CA: F EVPEERNOENT1.
#   c) IKEv1 with explicit proposals (ISAKMP_PROPOSALS, IPSEC_PROPOSALS) and
#      PFS on both: R OKVUP with "P IKEv1" lines, the algorithms asked for,
#      traffic; gwB accepting other algorithms in phase 1 or phase 2: synup
#      on gwA ends with F EVDIFFALG1 or F EVDIFFALG2.
# Prints the time from synup to R OKVUP as TIME lines.
# Needs root, ip, busybox, charon-systemd, swanctl, curl, jq, openssl. Usage: ipsec_pair_test.sh BULWARK
set -euo pipefail
bin=$(realpath "$1")
id=$$
hostA=bw-pha-$id gwA=bw-pga-$id gwB=bw-pgb-$id hostB=bw-phb-$id
root=$(mktemp -d -t bulwark-ipsec-pair.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "$hostA" "$gwA" "$gwB" "$hostB"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
fail() {
  echo "ipsec_pair_test: FAIL: $*"
  for side in a b; do
    echo "--- gw${side^^} core log"; tail -"${FAIL_LINES:-30}" "$root/$side/core.log" || true
  done
  exit 1
}
# eventually, now_ms; gaiconfig, gw_sas, cgi, answers, line_topology, start_core, synup, make_ca, issue,
# export_p12: these work on the appliance in $gw with its files in $tmp, which `on` sets.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ipsec_lib.sh"
# on A|B COMMAND...: COMMAND (a function of the libraries or of this test) for gwA or gwB.
on() {
  local side=$1
  shift
  if [ "$side" = A ]; then gw=$gwA tmp=$root/a "$@"; else gw=$gwB tmp=$root/b "$@"; fi
}
logged() { grep -qF -- "$1" "$tmp/core.log"; }
loads() { grep -cF "ipsec: connection pair loaded" "$tmp/core.log" || true; }
loaded_more_than() { [ "$(loads)" -gt "$1" ]; }
state_is() { [ "$(cgi "nph-vpn.cgi?cmd=status&name=pair")" = "$1" ]; }
# The JSON API over HTTPS as admin (Basic auth, as a script does it).
api() { ip netns exec "$gw" curl -sk --max-time 20 -u admin:mGuard "$@"; }
# api_ok WHAT PATH CURL-ARGS...: POSTs to /api/v1/PATH; fails unless the answer is {"ok":true,...}.
api_ok() {
  local what=$1 path=$2 answer
  shift 2
  answer=$(api "$@" "https://127.0.0.1:8443/api/v1/$path") || fail "$gw: $what: curl failed"
  grep -q '"ok":true' <<<"$answer" || fail "$gw: $what was refused: $answer"
}
# configure A|B N ROW [JQ-ARGS...]: the connection "pair" of that side
# (row ids MAIv4000N0001, tunnel MAIv4000N0002), set through POST
# /api/v1/config as the only row of VPN_CONNECTION: the side's defaults
# (gwA: disabled, initiates to 10.0.2.2; gwB: enabled, waits for %any) with
# the cells of the jq object ROW over them.
configure() {
  local side=$1 n=$2 row=$3 base
  shift 3
  if [ "$side" = A ]; then
    base='{ENABLED: "no", REMOTE_GATEWAY: "10.0.2.2", CONNECTION_STARTUP: "initiate",
           TUNNEL: [{rowid: $t, LOCAL_NET: "192.168.1.0/24", REMOTE_NET: "10.0.0.0/24"}]}'
  else
    base='{ENABLED: "yes", REMOTE_GATEWAY: "%any", CONNECTION_STARTUP: "wait",
           TUNNEL: [{rowid: $t, LOCAL_NET: "10.0.0.0/24", REMOTE_NET: "192.168.1.0/24"}]}'
  fi
  local body
  body=$(jq -n --arg r "MAIv4000${n}0001" --arg t "MAIv4000${n}0002" "$@" \
    "{set: {VPN_CONNECTION: [{rowid: \$r, VPN_NAME: \"pair\"} + $base + $row]}}") || fail "jq: $row"
  on "$side" api_ok "the connection ($row)" config -H "Content-Type: application/json" --data-binary "$body"
}
ping_a_to_b() { ip netns exec "$hostA" busybox ping -c 1 -W 1 10.0.0.10; }
ping_b_to_a() { ip netns exec "$hostB" busybox ping -c 1 -W 1 192.168.1.10; }
# The five lines every synup of gwA's connection starts with (reference 11.4.3.3).
head_re() {
  echo "^[0-9]+ P synup name=pair
[0-9]+ P deviceinfo uptime=[0-9]+\.[0-9]{2} tstamp=[0-9]{14}[a-e] serial=[^ ]+ hostname=[^ ]+
[0-9]+ P vpnconn uptime=[0-9]+\.[0-9]{2} id=MAIv4000$1""0001 gw=10\.0\.2\.2
[0-9]+ P dnslookup uptime=[0-9]+\.[0-9]{2} ip=10\.0\.2\.2
[0-9]+ P routeinfo uptime=[0-9]+\.[0-9]{2} via=wan0\(10\.0\.2\.1\) ifstate=up$"
}
# synup_ends N CODE: synup on gwA of connection N; its head, exactly one
# final line, the last, beginning with CODE. The lines are left in $out.
synup_ends() {
  local re
  re=$(head_re "$1")
  out=$(on A synup pair)
  [ -z "${SYNUP_SHOW:-}" ] || echo "$out" >&2
  [ "$(grep -c ' [RF] ' <<<"$out")" = 1 ] || fail "synup: not exactly one final line: $out"
  tail -1 <<<"$out" | grep -q "^[0-9]* $2 uptime=[0-9.]* msg=" || fail "synup: expected $2: $out"
  [[ "$(head -5 <<<"$out")" =~ $re ]] || fail "synup: the first five lines: $out"
}
# up N: synup on gwA ends with R OKVUP; traffic flows both ways; both
# appliances say active. The time to R OKVUP goes into $took.
up() {
  local t0
  t0=$(now_ms)
  synup_ends "$1" "R OKVUP"
  took=$(($(now_ms) - t0))
  tail -1 <<<"$out" | grep -q " R OKVUP uptime=[0-9.]* msg=The connection is established on this side.$" || fail "$out"
  on A answers "nph-vpn.cgi?cmd=synstat&name=pair" \
    "R OKVST1 id=MAIv4000${1}0001 enabled=no activated=yes ike=OK ipsec=OK"
  on A answers "nph-vpn.cgi?cmd=status&name=pair" active
  on B eventually state_is active || fail "gwB's status is $(on B cgi "nph-vpn.cgi?cmd=status&name=pair")"
  on B answers "nph-vpn.cgi?cmd=status&name=*" "pair: active"
  eventually ping_a_to_b || fail "hostA does not reach hostB through the tunnel"
  eventually ping_b_to_a || fail "hostB does not reach hostA through the tunnel"
}
# down N: syndown on gwA; gwB sees the SAs go and waits again.
down() {
  on A answers "nph-vpn.cgi?cmd=syndown&name=pair" "R OKVDOWN"
  on A answers "nph-vpn.cgi?cmd=status&name=pair" void
  on A answers "nph-vpn.cgi?cmd=synstat&name=pair" "R OKVST1 id=MAIv4000${1}0001 enabled=no activated=no"
  on B eventually state_is ready || fail "gwB did not see the tunnel go: $(on B gw_sas)"
  if on B gw_sas | grep -q ESTABLISHED; then fail "gwB still has an IKE SA: $(on B gw_sas)"; fi
  if ping_a_to_b >/dev/null 2>&1; then fail "hostB is reachable after syndown"; fi
}

# --- the network ---
line_topology "$hostA" "$gwA" "$gwB" "$hostB"
if ping_a_to_b >/dev/null 2>&1; then fail "hostB is reachable without a tunnel"; fi

# --- the two appliances ---
mkdir -p "$root/a" "$root/b"
on A start_core
coreA=$core
on B start_core
coreB=$core

# --- a) PSK, IKEv2; gwB configured by a profile, gwA through /api/v1/config ---
cat >"$root/b-psk.atv" <<ATV
VPN_CONNECTION = {
  {
    ROWID = "MAIv400010001"
    VPN_NAME = "pair"
    ENABLED = "yes"
    AUTH_METHOD = "psk"
    PSK = "pair-psk-2026"
    REMOTE_GATEWAY = "%any"
    CONNECTION_STARTUP = "wait"
    TUNNEL = {
      { ROWID = "MAIv400010002" LOCAL_NET = "10.0.0.0/24" REMOTE_NET = "192.168.1.0/24" }
    }
  }
}
// End of configuration profile
ATV
on B api_ok "the profile upload" profiles/pair-psk/upload --data-binary "@$root/b-psk.atv"
on B api_ok "the profile restore" profiles/pair-psk/restore -X POST
on B eventually logged "ipsec: connection pair loaded" || fail "gwB did not load the connection of the profile"
on B answers "nph-vpn.cgi?cmd=status&name=pair" ready
configure A 1 '{AUTH_METHOD: "psk", PSK: "pair-psk-2026"}'
on A answers "nph-vpn.cgi?cmd=status&name=pair" void
on A answers "nph-vpn.cgi?cmd=synstat&name=pair" "R OKVST1 id=MAIv400010001 enabled=no activated=no"
# gwA has no enabled connection: no charon until synup starts it.
if on A logged "ipsec: starting charon"; then fail "gwA started charon without an enabled connection"; fi
up 1
echo "TIME synup to OKVUP, PSK IKEv2, charon started by synup: $took ms"
for step in "newstate=connecting id=#[0-9]* to=10.0.2.2" "newstate=ike_sa_init-i2 rcvd=IKE_SA_INIT" \
  "isakmp-sa=established id=#[0-9]*" "ipsec-sa=established id=#[0-9]* msg=IPsec SA 1 out of 1 is established on this side."; do
  grep -q " P IKEv2 uptime=[0-9.]* $step$" <<<"$out" || fail "synup: no line $step: $out"
done
on A gw_sas | grep -q "MAIv400010001: #[0-9]*, ESTABLISHED, IKEv2" || fail "gwA's list-sas: $(on A gw_sas)"
on B gw_sas | grep -q "remote '10.0.2.1' @ 10.0.2.1\[4500\]" || fail "gwB's list-sas: $(on B gw_sas)"
on A logged "ipsec: connection pair: IKE SA established with 10.0.2.2" || fail "gwA logged no established line"
on B eventually logged "ipsec: connection pair: IKE SA established with 10.0.2.1" || fail "gwB logged no established line"
down 1
on A eventually logged "ipsec: no IPsec connection is enabled: charon stopped" || fail "gwA's charon was not stopped"
# And again: the same way up after a syndown.
up 1
down 1

# --- b) X.509 as reference 6.9: one CA, a machine certificate each, the other's as connection certificate ---
make_ca "$root/ca" CA
for name in mGuard1 mGuard2; do
  issue "$root/ca" "$name"
  export_p12 "$root/ca" "$name" "p12-$name-2026"
  openssl x509 -in "$root/ca/certs/$name.crt" -out "$root/$name.pem" || fail "openssl: the PEM of $name"
done
# upload_machine NAME: NAME's PKCS#12 file as the appliance's machine certificate; its row id in $machine.
upload_machine() {
  local answer
  answer=$(api -H "X-Pkcs12-Password: p12-$1-2026" --data-binary "@$root/ca/certs/$1.p12" \
    "https://127.0.0.1:8443/api/v1/certificates/machine/$1/upload") || fail "$gw: the upload of $1 failed"
  machine=$(sed -n 's/.*"rowid":"\(MAIv[0-9]*\)".*/\1/p' <<<"$answer")
  [ -n "$machine" ] || fail "$gw: the machine certificate $1 was refused: $answer"
}
on A upload_machine mGuard1
machineA=$machine
on B upload_machine mGuard2
machineB=$machine
loadsB=$(on B loads)
configure B 2 '{AUTH_METHOD: "x509", LOCAL_CERT_REF: $m, REMOTE_CERTIFICATE: $c}' \
  --arg m "$machineB" --rawfile c "$root/mGuard1.pem"
on B eventually loaded_more_than "$loadsB" || fail "gwB did not load the X.509 connection"
configure A 2 '{AUTH_METHOD: "x509", LOCAL_CERT_REF: $m, REMOTE_CERTIFICATE: $c}' \
  --arg m "$machineA" --rawfile c "$root/mGuard2.pem"
up 2
echo "TIME synup to OKVUP, X.509 (connection certificates): $took ms"
dn="C=DE, O=PHOENIX CONTACT Cyber Security AG, OU=Support, CN"
on A gw_sas | grep -qF "remote '$dn=mGuard2'" || fail "gwA does not know gwB by its DN: $(on A gw_sas)"
on B gw_sas | grep -qF "remote '$dn=mGuard1'" || fail "gwB does not know gwA by its DN: $(on B gw_sas)"
down 2
# gwA pins gwB's certificate by name instead: uploaded as a remote
# certificate (REMOTE_CERT_REF).
answer=$(on A api --data-binary "@$root/mGuard2.pem" "https://127.0.0.1:8443/api/v1/certificates/remote/gwB/upload") ||
  fail "gwA: the remote certificate upload failed"
remoteA=$(sed -n 's/.*"rowid":"\(MAIv[0-9]*\)".*/\1/p' <<<"$answer")
[ -n "$remoteA" ] || fail "gwA refused gwB's certificate as a remote certificate: $answer"
configure A 2 '{AUTH_METHOD: "x509", LOCAL_CERT_REF: $m, REMOTE_CERTIFICATE: "", REMOTE_CERT_REF: $rc}' \
  --arg m "$machineA" --arg rc "$remoteA"
up 2
on A gw_sas | grep -qF "remote '$dn=mGuard2'" || fail "gwA does not know gwB by its DN: $(on A gw_sas)"
down 2
# gwB accepts every certificate of the CA instead (CA upload, REMOTE_CA_REF).
answer=$(on B api --data-binary "@$root/ca/certs/ca.crt" "https://127.0.0.1:8443/api/v1/certificates/ca/pair-ca/upload") ||
  fail "gwB: the CA upload failed"
caB=$(sed -n 's/.*"rowid":"\(MAIv[0-9]*\)".*/\1/p' <<<"$answer")
[ -n "$caB" ] || fail "gwB refused the CA certificate: $answer"
loadsB=$(on B loads)
configure B 2 '{AUTH_METHOD: "x509", LOCAL_CERT_REF: $m, REMOTE_CERTIFICATE: "", REMOTE_CA_REF: $ca}' \
  --arg m "$machineB" --arg ca "$caB"
on B eventually loaded_more_than "$loadsB" || fail "gwB did not load the connection with the CA"
up 2
on B gw_sas | grep -qF "remote '$dn=mGuard1'" || fail "gwB does not know gwA by its DN: $(on B gw_sas)"
down 2
# gwB pinned to another certificate of the same CA: it refuses gwA's.
issue "$root/ca" mGuard3
openssl x509 -in "$root/ca/certs/mGuard3.crt" -out "$root/mGuard3.pem" || fail "openssl: the PEM of mGuard3"
loadsB=$(on B loads)
configure B 2 '{AUTH_METHOD: "x509", LOCAL_CERT_REF: $m, REMOTE_CERTIFICATE: $c, REMOTE_CA_REF: ""}' \
  --arg m "$machineB" --rawfile c "$root/mGuard3.pem"
on B eventually loaded_more_than "$loadsB" || fail "gwB did not load the connection pinned to mGuard3"
synup_ends 2 "F EVPEERNOENT1"
grep -q " P IKEv2 uptime=[0-9.]* state=ike_auth-i2 notify=AUTHENTICATION_FAILED$" <<<"$out" || fail "synup: $out"
on A answers "nph-vpn.cgi?cmd=synstat&name=pair" "R OKVST1 id=MAIv400020001 enabled=no activated=no"
if ping_a_to_b >/dev/null 2>&1; then fail "hostB is reachable with a certificate gwB does not accept"; fi

# --- c) IKEv1, explicit proposals and PFS on both ---
ikev1='{AUTH_METHOD: "psk", PSK: "pair-psk-v1-2026", IKE_VERSION: "ikev1", PFS: "yes",
        ISAKMP_PROPOSALS: [{ENCRYPTION: "AES-256", HASH: "SHA-256", DH_GROUP: "MODP-2048"}],
        IPSEC_PROPOSALS: [{ENCRYPTION: "AES-256", HASH: "SHA-256"}]}'
loadsB=$(on B loads)
configure B 3 "$ikev1"
on B eventually loaded_more_than "$loadsB" || fail "gwB did not load the IKEv1 connection"
configure A 3 "$ikev1"
up 3
echo "TIME synup to OKVUP, IKEv1 with PFS: $took ms"
for step in "newstate=connecting id=#[0-9]* to=10.0.2.2" "newstate=main-i1 send=ID_PROT" \
  "newstate=main-i4 rcvd=ID_PROT" "isakmp-sa=established id=#[0-9]*" "newstate=quick-i1 send=QUICK_MODE" \
  "newstate=quick-i2 rcvd=QUICK_MODE" "ipsec-sa=established id=#[0-9]* msg=IPsec SA 1 out of 1 is established on this side."; do
  grep -q " P IKEv1 uptime=[0-9.]* $step$" <<<"$out" || fail "synup: no IKEv1 line $step: $out"
done
for side in A B; do
  on $side gw_sas | grep -q "MAIv400030001: #[0-9]*, ESTABLISHED, IKEv1" || fail "gw$side is not IKEv1: $(on $side gw_sas)"
  on $side gw_sas | grep -q "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" ||
    fail "gw$side's IKE SA has not the proposal asked for: $(on $side gw_sas)"
  # PFS: the CHILD_SA has its own Diffie-Hellman group.
  on $side gw_sas | grep -q "AES_CBC-256/HMAC_SHA2_256_128/MODP_2048" ||
    fail "gw$side's CHILD_SA has not the proposal asked for: $(on $side gw_sas)"
done
down 3
# gwB takes other algorithms in phase 1, then in phase 2.
loadsB=$(on B loads)
configure B 3 '{ISAKMP_PROPOSALS: [{ENCRYPTION: "3DES", HASH: "MD5", DH_GROUP: "MODP-1024"}]}'
on B eventually loaded_more_than "$loadsB" || fail "gwB did not load the phase 1 change"
synup_ends 3 "F EVDIFFALG1"
grep -q " P IKEv1 uptime=[0-9.]* state=main-i1 notify=NO_PROPOSAL_CHOSEN$" <<<"$out" || fail "synup: $out"
on A answers "nph-vpn.cgi?cmd=synstat&name=pair" "R OKVST1 id=MAIv400030001 enabled=no activated=no"
loadsB=$(on B loads)
configure B 3 "$ikev1"' + {IPSEC_PROPOSALS: [{ENCRYPTION: "3DES", HASH: "MD5"}]}'
on B eventually loaded_more_than "$loadsB" || fail "gwB did not load the phase 2 change"
synup_ends 3 "F EVDIFFALG2"
on A answers "nph-vpn.cgi?cmd=synstat&name=pair" "R OKVST1 id=MAIv400030001 enabled=no activated=no"

for p in "$coreA" "$coreB"; do
  kill -TERM "$p"
  wait "$p" || fail "a core did not stop cleanly"
done
echo "ipsec_pair_test: ok"
