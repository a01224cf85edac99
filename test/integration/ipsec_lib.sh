# Shared by the IPsec namespace tests (sourced, not run; after lib.sh): the
# appliance's side, for a caller that has $bin (bulwark), $tmp (its
# temporary directory), $gw (the appliance's namespace), the array `pids`
# and fail().

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
