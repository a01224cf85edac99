# Shared by the namespace tests (sourced, not run) and scripts/bench/ipsec.

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# Waits up to 20 s for a command to succeed; then runs it once more with
# its output, so that a failure shows why.
eventually() {
  for _ in $(seq 1 200); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  "$@"
}

# start_strongswan_peer NS DIR: an independent strongSwan of the test's own
# (charon-systemd) in network namespace NS, not configured by bulwark: its
# strongswan.conf (the plugins a PSK or X.509 peer needs, ESP in user space)
# in DIR, its VICI socket DIR/charon.vici (swanctl --uri unix://...), its
# output in DIR.log. Its pid goes into the caller's array `pids`. Fails when
# the socket is not there within 20 s.
start_strongswan_peer() {
  local ns=$1 dir=$2
  mkdir -p "$dir"
  cat >"$dir/strongswan.conf" <<CONF
charon-systemd {
  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints socket-default kernel-libipsec kernel-netlink vici
  filelog { stderr { default = 1 } }
  journal { default = -1 }
  plugins { vici { socket = unix://$dir/charon.vici } }
}
CONF
  STRONGSWAN_CONF=$dir/strongswan.conf ip netns exec "$ns" /usr/sbin/charon-systemd >"$dir.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    if [ -S "$dir/charon.vici" ]; then return 0; fi
    sleep 0.1
  done
  return 1
}
