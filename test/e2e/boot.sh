#!/usr/bin/env bash
# End to end: builds the image (image/build) into build-e2e with a fresh data
# disk, boots it in QEMU (software emulation), waits for HTTPS through the
# forwarded port, checks sysinfo, changes a variable through the JSON API,
# resets the machine (a hard reset from the QEMU monitor: what was committed
# must be on the disk), waits again and checks the variable survived.
set -euo pipefail
cd "$(dirname "$0")/../.."

export IMAGE_DIR=$PWD/build-e2e
rm -f "$IMAGE_DIR/data.img"
./image/build

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(shuf -i 20000-60000 -n 1)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}
https=$(free_port)
monitor=$(free_port)
log="$IMAGE_DIR/console.log"
HTTPS_PORT=$https QEMU_MONITOR="tcp:127.0.0.1:$monitor,server,nowait" QEMU_SERIAL="file:$log" \
  ./image/qemu </dev/null >"$IMAGE_DIR/qemu.log" 2>&1 &
qemu=$!
trap 'kill "$qemu" 2>/dev/null; wait "$qemu" 2>/dev/null || true' EXIT

base="https://127.0.0.1:$https"
wait_https() {
  for _ in $(seq 1 240); do
    if curl -sk --max-time 3 -o /dev/null "$base/"; then return 0; fi
    kill -0 "$qemu" 2>/dev/null || { echo "e2e: QEMU ended"; cat "$IMAGE_DIR/qemu.log" "$log"; return 1; }
    sleep 0.5
  done
  echo "e2e: no HTTPS after 120 s"; tail -40 "$log"; return 1
}
fail() { echo "e2e: FAIL: $*"; tail -40 "$log"; exit 1; }

start=$(date +%s%N)
wait_https
echo "e2e: HTTPS answered $(( ($(date +%s%N) - start) / 1000000 )) ms after QEMU started"
sysinfo=$(curl -sk "https://admin:mGuard@127.0.0.1:$https/nph-vpn.cgi?cmd=sysinfo")
[ "$(echo "$sysinfo" | head -1)" = "mGuardProductName=bulwark qemu" ] || fail "sysinfo: $sysinfo"
[ "$(echo "$sysinfo" | wc -l)" = 4 ] || fail "sysinfo has not four lines: $sysinfo"

answer=$(curl -sk -u admin:mGuard --data-binary '{"set":{"HOSTNAME":"e2e-plant"}}' "$base/api/v1/config")
case "$answer" in *'"ok":true'*) ;; *) fail "config change: $answer" ;; esac

# A hard reset: no shutdown, no sync beyond what the commit did.
exec 3<>"/dev/tcp/127.0.0.1/$monitor"
printf 'system_reset\n' >&3
exec 3>&-
sleep 2
wait_https
value=$(curl -sk -u admin:mGuard "$base/api/v1/config/HOSTNAME")
case "$value" in *'"value":"e2e-plant"'*) ;; *) fail "after the reset: $value" ;; esac
grep -q "board qemu, modules and /data ready" "$log" || fail "no boot line on the console"
echo "e2e: ok (sysinfo, a change through the API survived a hard reset)"
