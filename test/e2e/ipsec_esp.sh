#!/usr/bin/env bash
# End to end: IPsec with the kernel's ESP, in the image (issue 6). This
# machine's kernel has no ESP, so the namespace tests run charon with
# kernel-libipsec, where initiate-on-traffic cannot work (a trap needs the
# kernel's acquire); the image's kernel (Debian's) has esp4 and xfrm, and the
# qemu board loads them at boot with the crypto modules the proposals need.
#
# The topology, all of it in network namespaces of this test's own:
#   QEMU (run inside namespace WAN): the appliance, its external port XF1
#     (eth0) on a tap device in WAN instead of a user-mode NIC (image/qemu's
#     QEMU_EXT_TAP); its internal and DMZ NICs as image/qemu makes them, the
#     HTTPS port forwarded to WAN's own 127.0.0.1
#   WAN: the tap (10.0.2.2, the peer's address), strongSwan's charon-systemd
#     as the peer (start_strongswan_peer of test/integration/lib.sh, with
#     kernel-libipsec: ESP always in UDP 4500), routing to
#   HOST: 10.0.0.10, behind the peer, with an NTP server (ntp_server.py)
#
# Configured through the JSON API only (one transaction): the external port
# static (10.0.2.1/24, gateway 10.0.2.2), HTTPS from the tunnel's remote
# network (an HTTPS_REMOTE_ACCESS_RULES row with INTERFACE vpn), and the
# PSK connection "plant" (192.168.1.0/24 === 10.0.0.0/24) with
# CONNECTION_STARTUP initiate-on-traffic. Checks:
#   - charon runs with kernel ESP (the core's "starting charon (kernel ESP)",
#     charon's plugin list without kernel-libipsec) and the connection is
#     loaded as a trap (no "initiated at once" line), and nothing starts it:
#     status "ready", the peer has no IKE SA;
#   - the first packet starts it: NTP switched on with the server 10.0.0.10
#     (the appliance's own packets, from 192.168.1.1 by charon's route):
#     charon logs the kernel's acquire for that request, the IKE SA comes up
#     and the clock is synchronised through the tunnel;
#   - HTTPS from HOST to 192.168.1.1 through the tunnel (sysinfo), and on
#     the wire between the gateways only ESP in UDP, no clear text of HOST;
#     the SAs are the kernel's (as root over SSH: esp4 is held by two
#     states in /proc/modules; no ipsec0 device);
#   - with NTP off and the connection disabled (its SAs go), synup over
#     HTTPS starts it (progress lines, R OKVUP), HTTPS through the tunnel
#     works again, and syndown ends it (R OKVDOWN, the peer's SAs go).
# ESP_HOLD=SECONDS keeps everything up that long after a failure, to look.
# Prints TIME lines. Needs root, ip, qemu-system-x86_64, charon-systemd,
# swanctl, tcpdump, curl, dbclient, socat, python3, mkfs.ext4. The image is the one
# of boot.sh (build-e2e; image/build runs again: 12 s when nothing changed,
# repacking the initramfs), with a fresh data disk of this test's own. About
# 32 s in all here (TCG): 12 s of image/build, 11 s of boot.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
id=$$
wan=bw-espw-$id host=bw-esph-$id tap=bwesp$id
tmp=$(mktemp -d -t bulwark-esp.XXXXXX)
pids=()
qemu=""
cleanup() {
  if [ -n "$qemu" ] && kill -0 "$qemu" 2>/dev/null; then
    printf 'quit\n' | socat - "UNIX-CONNECT:$tmp/monitor" >/dev/null 2>&1 || kill "$qemu" 2>/dev/null || true
    wait "$qemu" 2>/dev/null || true
  fi
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for ns in "$wan" "$host"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# eventually, start_strongswan_peer; make_namespaces, addr
source test/integration/lib.sh
source test/integration/ipsec_lib.sh
now_ms() { date +%s%3N; }
fail() {
  echo "ipsec_esp: FAIL: $*"
  echo "--- the appliance's log"
  api "logs?limit=40" | python3 -c 'import json, sys; [print(e["line"]) for e in json.load(sys.stdin)["entries"]]' || true
  echo "--- console"; tail -20 "$tmp/console.log" || true
  echo "--- peer"; tail -20 "$tmp/peer.log" || true
  if [ -n "${ESP_HOLD:-}" ]; then
    echo "ipsec_esp: held for $ESP_HOLD s: ip netns exec $wan ... (HTTPS 127.0.0.1:8443, SSH 2222)"
    sleep "$ESP_HOLD"
  fi
  exit 1
}

export IMAGE_DIR=$root/build-e2e
./image/build >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
# The image of boot.sh with a data disk of this test's own.
mkdir -p "$tmp/image"
ln -s "$IMAGE_DIR/vmlinuz" "$IMAGE_DIR/initramfs.img" "$tmp/image/"
truncate -s 64M "$tmp/image/data.img"
mkfs.ext4 -q -F -L bulwark-data "$tmp/image/data.img"

# --- the network ---
make_namespaces "$wan" "$host"
ip -n "$wan" tuntap add dev "$tap" mode tap
addr "$wan" "$tap" 10.0.2.2/24
ip link add lan0 netns "$wan" type veth peer name eth0 netns "$host"
addr "$wan" lan0 10.0.0.1/24
addr "$host" eth0 10.0.0.10/24
ip -n "$host" route add default via 10.0.0.1
ip netns exec "$wan" sysctl -qw net.ipv4.ip_forward=1

# --- the peer ---
mkdir -p "$tmp/peer"
cat >"$tmp/peer/swanctl.conf" <<CONF
connections {
  appliance {
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
  ike-appliance { secret = "esp-psk-2026" }
}
CONF
start_strongswan_peer "$wan" "$tmp/peer" || fail "the peer's charon did not start"
peer_sas() { swanctl --list-sas --uri "unix://$tmp/peer/charon.vici" 2>&1; }
peer_has() {
  local sas
  sas=$(peer_sas)
  grep -qF -- "$1" <<<"$sas"
}
eventually swanctl --load-all --noprompt --file "$tmp/peer/swanctl.conf" --uri "unix://$tmp/peer/charon.vici" ||
  fail "the peer's swanctl.conf did not load"
ip netns exec "$host" python3 test/e2e/ntp_server.py 123 0 10.0.0.10 &
pids+=($!)

# --- the appliance ---
t0=$(now_ms)
ip netns exec "$wan" env HTTPS_PORT=8443 SSH_PORT=2222 QEMU_EXT_TAP="$tap" IMAGE_DIR="$tmp/image" \
  QEMU_SERIAL="file:$tmp/console.log" QEMU_MONITOR="unix:$tmp/monitor,server,nowait" \
  ./image/qemu </dev/null >"$tmp/qemu.log" 2>&1 &
qemu=$!
base=https://127.0.0.1:8443
# The JSON API; tried again when the connection fails (the web server
# listens anew after a change of the remote access rules).
api() {
  for _ in 1 2 3 4 5; do
    ip netns exec "$wan" curl -sk --max-time 20 -u admin:mGuard "$base/api/v1/$1" "${@:2}" && return 0
    sleep 0.5
  done
  return 1
}
cgi() { ip netns exec "$wan" curl -sk --max-time 30 "https://admin:mGuard@127.0.0.1:8443/$1"; }
# HTTPS of the appliance from HOST, through the tunnel.
through() { ip netns exec "$host" curl -sk --max-time 5 "https://admin:mGuard@192.168.1.1/nph-vpn.cgi?cmd=sysinfo"; }
# (Not api | grep -q: under pipefail curl's SIGPIPE would count.)
logged() {
  local lines
  lines=$(api "logs?$1") || return 1
  grep -qF -- "$2" <<<"$lines"
}
for _ in $(seq 1 240); do
  if ip netns exec "$wan" curl -sk --max-time 3 -o /dev/null "$base/"; then break; fi
  kill -0 "$qemu" 2>/dev/null || { cat "$tmp/qemu.log"; fail "QEMU ended"; }
  sleep 0.5
done
ip netns exec "$wan" curl -sk --max-time 3 -o /dev/null "$base/" || fail "no HTTPS after 120 s"
echo "TIME HTTPS answered $(($(now_ms) - t0)) ms after QEMU started"

t0=$(now_ms)
change=$(cat <<'JSON'
{"set": {
  "ROUTER_MODE": "static",
  "EXT_ADDRESSES": [{"ADDRESS": "10.0.2.1/24"}],
  "EXT_GATEWAY": "10.0.2.2",
  "HTTPS_REMOTE_ACCESS_RULES": [{"FROM_IP": "10.0.0.0/24", "INTERFACE": "vpn", "TARGET": "accept"}],
  "VPN_CONNECTION": [{
    "VPN_NAME": "plant", "AUTH_METHOD": "psk", "PSK": "esp-psk-2026", "REMOTE_GATEWAY": "10.0.2.2",
    "CONNECTION_STARTUP": "initiate-on-traffic",
    "TUNNEL": [{"LOCAL_NET": "192.168.1.0/24", "REMOTE_NET": "10.0.0.0/24"}]
  }]
}}
JSON
)
answer=$(api config --data-binary "$change")
case "$answer" in *'"ok":true'*) ;; *) fail "the configuration was refused: $answer" ;; esac
eventually logged "tag=ipsec&limit=20" "ipsec: connection plant loaded" || fail "the connection was not loaded"
echo "TIME connection loaded $(($(now_ms) - t0)) ms after the change"
logged "tag=ipsec&limit=20" "ipsec: starting charon (kernel ESP)" || fail "charon does not run with kernel ESP"
plugins=$(api "logs?tag=charon&text=loaded%20plugins&limit=1")
case "$plugins" in
  *kernel-netlink*) case "$plugins" in *kernel-libipsec*) fail "charon loaded kernel-libipsec: $plugins" ;; esac ;;
  *) fail "charon's plugins: $plugins" ;;
esac
logged "tag=ipsec&limit=20" "initiated at once" && fail "initiate-on-traffic was initiated at once"
# A trap: nothing starts it.
sleep 3
[ "$(cgi "nph-vpn.cgi?cmd=status&name=plant")" = ready ] ||
  fail "status of the trapped connection: $(cgi "nph-vpn.cgi?cmd=status&name=plant")"
peer_has ESTABLISHED && fail "the connection came up without traffic: $(peer_sas)"
logged "tag=ipsec&limit=20" "IKE SA established" && fail "an IKE SA without traffic"

# --- the first packet starts it: the appliance's own NTP requests ---
t0=$(now_ms)
answer=$(api config --data-binary '{"set":{"NTP_ENABLE":"yes","NTP_SERVERS":[{"NTP_SERVER":"10.0.0.10"}]}}')
case "$answer" in *'"ok":true'*) ;; *) fail "enabling NTP: $answer" ;; esac
for _ in $(seq 1 60); do
  logged "tag=ipsec&limit=20" "ipsec: connection plant: IKE SA established with 10.0.2.2" && break
  sleep 0.5
done
logged "tag=ipsec&limit=20" "ipsec: connection plant: IKE SA established with 10.0.2.2" ||
  fail "traffic did not start the connection"
echo "TIME IKE SA up $(($(now_ms) - t0)) ms after NTP was switched on (the trap's acquire)"
# The kernel's acquire for the NTP request started it.
acquire=$(api "logs?tag=charon&text=acquire&limit=5")
grep -qE 'creating acquire job for policy 192\.168\.1\.1/32\[17/[0-9]+\] === 10\.0\.0\.10/32\[17/123\]' <<<"$acquire" ||
  fail "no acquire for the NTP request: $acquire"
for _ in $(seq 1 60); do
  logged "tag=ntp&limit=20" "time synchronised with NTP server 10.0.0.10" && break
  sleep 0.5
done
logged "tag=ntp&limit=20" "time synchronised with NTP server 10.0.0.10" || fail "no NTP through the tunnel"
echo "TIME clock synchronised through the tunnel $(($(now_ms) - t0)) ms after NTP was switched on"
peer_has "INSTALLED, TUNNEL" || fail "the peer has no CHILD_SA: $(peer_sas)"
[ "$(cgi "nph-vpn.cgi?cmd=status&name=plant")" = active ] || fail "status: $(cgi "nph-vpn.cgi?cmd=status&name=plant")"

# --- HTTPS through the tunnel; on the wire only ESP in UDP ---
ip netns exec "$wan" tcpdump -n -l -i "$tap" 'udp port 4500 or host 10.0.0.10' >"$tmp/wire" 2>/dev/null &
dump=$!
pids+=("$dump")
sleep 0.5
sysinfo=$(through) || fail "no HTTPS from 10.0.0.10 through the tunnel"
[ "$(head -1 <<<"$sysinfo")" = "mGuardProductName=bulwark qemu" ] || fail "sysinfo through the tunnel: $sysinfo"
sleep 0.5
kill -TERM "$dump" 2>/dev/null || true
wait "$dump" 2>/dev/null || true
grep -q "10.0.2.1.4500 > 10.0.2.2.4500: UDP-encap: ESP" "$tmp/wire" || fail "no ESP from the appliance: $(cat "$tmp/wire")"
grep -q "10.0.0.10" "$tmp/wire" && fail "clear text on the wire: $(grep 10.0.0.10 "$tmp/wire" | head -3)"

# The SAs are the kernel's: as root over SSH (the forwarded port), esp4 is
# held once for each ESP state (in and out), and there is no ipsec0.
kernel=$(ip netns exec "$wan" env HOME="$tmp" DROPBEAR_PASSWORD=root timeout 60 \
  dbclient -y -y -p 2222 root@127.0.0.1 'grep "^esp4 " /proc/modules; ls /sys/class/net' 2>/dev/null) ||
  fail "ssh as root: $kernel"
[ "$(awk '$1 == "esp4" { print $3 }' <<<"$kernel")" -ge 2 ] 2>/dev/null || fail "esp4 holds no SAs: $kernel"
grep -qx ipsec0 <<<"$kernel" && fail "an ipsec0 device (kernel-libipsec): $kernel"
echo "ipsec_esp: in the appliance's kernel: $(grep '^esp4 ' <<<"$kernel" | cut -d' ' -f1-3) (module, size, states)"

# --- disabled, then started and ended over HTTPS: synup, syndown ---
answer=$(api config --data-binary '{"set":{"NTP_ENABLE":"no","VPN_CONNECTION:0.ENABLED":"no"}}')
case "$answer" in *'"ok":true'*) ;; *) fail "disabling NTP and the connection: $answer" ;; esac
no_sas() { ! peer_has ESTABLISHED; }
eventually no_sas || fail "the SAs are still there with the connection disabled: $(peer_sas)"
t0=$(now_ms)
synup=$(cgi "nph-vpn.cgi?cmd=synup&name=plant")
echo "TIME synup to R OKVUP: $(($(now_ms) - t0)) ms"
case "$(head -1 <<<"$synup")" in "P synup"*) ;; *) fail "synup's first line: $synup" ;; esac
grep -q "^P IKEv2 " <<<"$synup" || fail "no P IKEv2 lines: $synup"
case "$(tail -1 <<<"$synup")" in "R OKVUP"*) ;; *) fail "synup did not end in R OKVUP: $synup" ;; esac
sed 's/^/  synup: /' <<<"$synup"
eventually through || fail "no HTTPS through the tunnel after synup"
answer=$(cgi "nph-vpn.cgi?cmd=syndown&name=plant")
[ "$answer" = "R OKVDOWN" ] || fail "syndown answered '$answer', not R OKVDOWN"
eventually no_sas || fail "the SAs are still there after syndown: $(peer_sas)"
echo "ipsec_esp: ok (kernel ESP; initiate-on-traffic started by the first packet; NTP and HTTPS through the" \
  "tunnel, only ESP on the wire; synup R OKVUP, syndown R OKVDOWN)"
