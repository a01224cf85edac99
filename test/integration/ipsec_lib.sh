# Shared by the IPsec namespace tests (sourced, not run; after lib.sh): the
# appliance's side, for a caller that has $bin (bulwark), $tmp (its
# temporary directory), $gw (the appliance's namespace), the array `pids`
# and fail().

ipsec_lib_dir=$(dirname "${BASH_SOURCE[0]}")

gaiconfig() { BULWARK_RUN_DIR=$tmp/run "$bin" gaiconfig "$@"; }
# The appliance charon's SAs as swanctl lists them.
gw_sas() { swanctl --list-sas --uri "unix://$tmp/run/charon.vici" 2>&1; }
# A CGI command over HTTPS as admin, as the reference's curl does it.
cgi() { ip netns exec "$gw" curl -sk --max-time 20 "https://admin:mGuard@127.0.0.1:8443/$1"; }
# Fails with what was answered unless the answer is exactly $2.
answers() {
  local got
  got=$(cgi "$1") || fail "curl $1 failed"
  [ "$got" = "$2" ] || fail "$1 answered '$got', not '$2'"
}
# addr NS DEV CIDR: the address on the link, and the link up.
addr() { ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" link set "$2" up; }
# Network namespaces with their loopback up.
make_namespaces() {
  for ns in "$@"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
}
# line_topology HOSTA GW PEER HOSTB: these four network namespaces in a line:
#   HOSTA (eth0 192.168.1.10) -- GW (lan0 192.168.1.1 | wan0 10.0.2.1)
#     -- PEER (wan0 10.0.2.2 | lan0 10.0.0.1) -- HOSTB (eth0 10.0.0.10)
# the hosts routed through their gateways, both gateways forwarding; there
# is no route between the two LANs (only a tunnel joins them).
line_topology() {
  local hostA=$1 gw=$2 peer=$3 hostB=$4
  make_namespaces "$hostA" "$gw" "$peer" "$hostB"
  ip link add lan0 netns "$gw" type veth peer name eth0 netns "$hostA"
  ip link add wan0 netns "$gw" type veth peer name wan0 netns "$peer"
  ip link add lan0 netns "$peer" type veth peer name eth0 netns "$hostB"
  addr "$hostA" eth0 192.168.1.10/24
  addr "$gw" lan0 192.168.1.1/24
  addr "$gw" wan0 10.0.2.1/24
  addr "$peer" wan0 10.0.2.2/24
  addr "$peer" lan0 10.0.0.1/24
  addr "$hostB" eth0 10.0.0.10/24
  ip -n "$hostA" route add default via 192.168.1.1
  ip -n "$hostB" route add default via 10.0.0.1
  for ns in "$gw" "$peer"; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done
}
# bulwark's core in $gw (sim board: the test does the addressing), HTTPS on
# 127.0.0.1:8443, its data and run directories in $tmp, its output in
# $tmp/core.log; its pid in `core` and `pids`.
start_core() {
  ip netns exec "$gw" "$bin" init --data-dir "$tmp/data" --run-dir "$tmp/run" --board sim \
    --listen 127.0.0.1:8443 --console-log >"$tmp/core.log" 2>&1 &
  core=$!
  pids+=("$core")
  eventually test -S "$tmp/run/bulwark.sock" || fail "the core did not start"
}
# synup NAME [MAX_SECONDS]: the answer of nph-vpn.cgi?cmd=synup&name=NAME,
# each line prefixed with the time it arrived (curl -N: written out as it
# comes).
synup() {
  ip netns exec "$gw" curl -skN --max-time "${2:-20}" "https://admin:mGuard@127.0.0.1:8443/nph-vpn.cgi?cmd=synup&name=$1" |
    while IFS= read -r line; do echo "$(now_ms) $line"; done
}

# Certificates as reference chapter 5 makes them with openssl (its
# openssl.conf in test/fixtures/pki); 2048-bit keys instead of the
# reference's 4096: only faster.
# make_ca DIR CN: a CA in DIR (key password ca-pass).
make_ca() {
  local dir=$1
  mkdir -p "$dir"/{certs,newcerts,private}
  : >"$dir/index.txt"
  echo 0001 >"$dir/serial"
  sed "s|@DIR@|$dir|" "$ipsec_lib_dir/../fixtures/pki/reference-openssl.conf" >"$dir/openssl.conf"
  (cd "$dir" && openssl req -new -config openssl.conf -x509 -extensions ca_ext -keyout private/ca.key \
    -out certs/ca.crt -days 3640 -subj "/C=DE/O=PHOENIX CONTACT Cyber Security AG/OU=Support/CN=$2" \
    -passout pass:ca-pass) >/dev/null 2>&1 || fail "openssl: the CA $2"
}
# issue DIR NAME: DIR's CA issues DIR/certs/NAME.crt with the subject CN=NAME
# (key DIR/private/NAME.key, password key-pass).
issue() {
  local dir=$1 name=$2
  (cd "$dir" && openssl req -new -config openssl.conf -keyout "private/$name.key" -out "$name.csr" -days 364 \
    -subj "/C=DE/O=PHOENIX CONTACT Cyber Security AG/OU=Support/CN=$name" -passout pass:key-pass &&
    openssl ca -config openssl.conf -batch -passin pass:ca-pass -out "certs/$name.crt" -infiles "$name.csr") \
    >/dev/null 2>&1 || fail "openssl: the certificate $name"
}
# export_p12 DIR NAME PASSWORD: NAME's certificate and key as DIR/certs/NAME.p12
# (reference 5.7).
export_p12() {
  (cd "$1" && openssl pkcs12 -export -in "certs/$2.crt" -inkey "private/$2.key" -out "certs/$2.p12" \
    -passin pass:key-pass -passout "pass:$3") || fail "openssl: the PKCS#12 file of $2"
}
