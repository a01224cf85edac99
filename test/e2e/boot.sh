#!/usr/bin/env bash
# End to end: builds the image (image/build) into build-e2e with a fresh data
# disk, boots it in QEMU (software emulation), waits for HTTPS through the
# forwarded port, checks sysinfo, the kernel's lines, the watchdog, the DHCP server's start, the
# DMZ port's address (the launcher's third NIC, eth2) with its link up and the
# packet filter in the log, changes a
# variable through the JSON API, turns HTTPS remote access on (the packet
# filter with the throttle's per-source count must load in this kernel),
# resets the machine (a hard reset from the QEMU monitor: what was committed
# must be on the disk), waits again and checks the variable survived; then
# logs in on the serial console, changes a variable there, reboots from the
# CLI and checks that change after the reboot; syncs the clock with an NTP
# server an hour ahead and runs show status over SSH; last, SIGTERM to image/qemu
# must power the appliance off cleanly (the power button) and end QEMU.
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
ssh=$(free_port)
ntp=$(free_port)
serial=$(free_port)
log="$IMAGE_DIR/console.log"
: >"$log"
HTTPS_PORT=$https SSH_PORT=$ssh QEMU_MONITOR="tcp:127.0.0.1:$monitor,server,nowait" \
  QEMU_SERIAL="tcp:127.0.0.1:$serial,server,nowait" \
  ./image/qemu </dev/null >"$IMAGE_DIR/qemu.log" 2>&1 &
qemu=$!
trap 'kill "$qemu" 2>/dev/null || true; wait "$qemu" 2>/dev/null || true' EXIT

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

kernel=$(curl -sk -u admin:mGuard "$base/api/v1/logs?tag=kernel&text=e1000&limit=50")
case "$kernel" in *'kernel: ['*e1000*) ;; *) fail "no kernel lines in the log: $kernel" ;; esac

armed() { curl -sk -u admin:mGuard "$base/api/v1/logs?tag=init&text=watchdog&limit=20"; }
case "$(armed)" in *'init: watchdog /dev/watchdog armed, timeout 30 s'*) ;; *) fail "the watchdog: $(armed)" ;; esac

dhcp=$(curl -sk -u admin:mGuard "$base/api/v1/logs?tag=dhcp-int&limit=20")
case "$dhcp" in *'dhcp-int: udhcpd: started'*) ;; *) fail "the DHCP server did not start: $dhcp" ;; esac

# Prints the log lines of QUERY (the logs API's parameters) once one has
# TEXT in it, waiting up to 20 s; the last answer and status 1 if none does.
log_wait() {
  local query=$1 text=$2 lines=""
  for _ in $(seq 1 40); do
    lines=$(curl -sk -u admin:mGuard "$base/api/v1/logs?$query")
    case "$lines" in *"$text"*) echo "$lines"; return 0 ;; esac
    sleep 0.5
  done
  echo "$lines"
  return 1
}
lease=$(log_wait "tag=net&text=by%20DHCP&limit=5" 'XF1 (eth0): address 10.0.2.15/24 by DHCP, gateway 10.0.2.2') ||
  fail "no DHCP lease on XF1: $lease"
filter=$(log_wait "tag=firewall&limit=5" 'firewall: packet filter loaded') || fail "no packet filter: $filter"
dmz=$(log_wait "tag=net&text=XF5&limit=5" 'XF5 (eth2): address 192.168.3.1/24') || fail "no address on the DMZ port: $dmz"
# (Every port's link alarm is raised at start, before the links come up,
# and cleared when they do: the last line counts.)
alarm=$(curl -sk -u admin:mGuard "$base/api/v1/logs?tag=led&text=link-down%20XF5&limit=1")
case "$alarm" in *'alarm raised'*) fail "link supervision holds an alarm for XF5: $alarm" ;; esac
client=$(curl -sk -u admin:mGuard "$base/api/v1/logs?tag=dhclient&limit=50")
case "$client" in *'dhclient: udhcpc: lease of 10.0.2.15 obtained'*) ;; *) fail "udhcpc's lines: $client" ;; esac

answer=$(curl -sk -u admin:mGuard --data-binary '{"set":{"HOSTNAME":"e2e-plant"}}' "$base/api/v1/config")
case "$answer" in *'"ok":true'*) ;; *) fail "config change: $answer" ;; esac
# Remote access: the throttle's per-source count (ct count in a dynamic set,
# the module nft_connlimit) must load in this kernel, or the change is refused.
loads=$(curl -sk -u admin:mGuard "$base/api/v1/logs?tag=firewall&text=packet%20filter%20loaded&limit=100" | grep -o 'packet filter loaded' | wc -l)
answer=$(curl -sk -u admin:mGuard --data-binary '{"set":{"HTTPS_REMOTE_ACCESS":"yes"}}' "$base/api/v1/config")
case "$answer" in *'"ok":true'*) ;; *) fail "HTTPS_REMOTE_ACCESS refused: $answer" ;; esac
reloaded() {
  [ "$(curl -sk -u admin:mGuard "$base/api/v1/logs?tag=firewall&text=packet%20filter%20loaded&limit=100" |
    grep -o 'packet filter loaded' | wc -l)" -gt "$loads" ]
}
for _ in $(seq 1 50); do reloaded && break; sleep 0.2; done
reloaded || fail "the packet filter with remote access was not loaded"

# A hard reset: no shutdown, no sync beyond what the commit did.
exec 3<>"/dev/tcp/127.0.0.1/$monitor"
printf 'system_reset\n' >&3
exec 3>&-
sleep 2
wait_https
value=$(curl -sk -u admin:mGuard "$base/api/v1/config/HOSTNAME")
case "$value" in *'"value":"e2e-plant"'*) ;; *) fail "after the reset: $value" ;; esac
# The serial console: log in, look, change, reboot from the CLI.
exec 4<>"/dev/tcp/127.0.0.1/$serial"
(timeout 40 cat <&4 >"$log") &
reader=$!
say() { printf '%s\n' "$1" >&4; sleep "${2:-1}"; }
say ""
say admin
say mGuard 4
say "show status"
say "gaiconfig --set HOSTNAME e2e-console" 2
grep -q "hostname   e2e-plant" "$log" || fail "show status on the console"
say reboot 1
exec 4>&-
wait_down() {
  for _ in $(seq 1 60); do
    curl -sk --max-time 2 -o /dev/null "$base/" || return 0
    sleep 0.5
  done
  fail "the appliance did not go down on reboot"
}
wait_down
wait_https
up=$(date +%s)
value=$(curl -sk -u admin:mGuard "$base/api/v1/config/HOSTNAME")
case "$value" in *'"value":"e2e-console"'*) ;; *) fail "after the reboot from the console: $value" ;; esac
# The watchdog (30 s) is kicked: 35 s on, the same boot still answers.
boots=$(armed | grep -o 'init: watchdog /dev/watchdog armed' | wc -l)
# Meanwhile, NTP and SSH. An NTP server on this machine, an hour ahead, which
# the appliance reaches as 10.0.2.2 through QEMU's user network: its clock
# is stepped.
python3 test/e2e/ntp_server.py "$ntp" 3600 &
ntp_server=$!
answer=$(curl -sk -u admin:mGuard --data-binary \
  "{\"set\":{\"NTP_ENABLE\":\"yes\",\"NTP_SERVERS:0.NTP_SERVER\":\"10.0.2.2:$ntp\"}}" "$base/api/v1/config")
case "$answer" in *'"ok":true'*) ;; *) fail "enabling NTP: $answer" ;; esac
stepped=$(log_wait "tag=ntp&limit=20" 'time synchronised with NTP server 10.0.2.2') || true
kill "$ntp_server" 2>/dev/null || true
wait "$ntp_server" 2>/dev/null || true
# (The guest's clock came from the RTC, to the second: the step is 3600 +- 1 s.)
grep -qE "system time stepped by \+(3599|3600|3601)\.[0-9]+ s" <<<"$stepped" || fail "no NTP step: $stepped"
[ "$(curl -sk "https://admin:mGuard@127.0.0.1:$https/nph-status.cgi?path=/network/ntp_state")" = synchronized ] ||
  fail "ntp_state is not synchronized"
[ "$(curl -sk "https://admin:mGuard@127.0.0.1:$https/nph-status.cgi?path=/system/time_sync")" = ntp ] ||
  fail "time_sync is not ntp"
# SSH: admin's CLI through the forwarded port.
shell=$(HOME=$IMAGE_DIR DROPBEAR_PASSWORD=mGuard timeout 60 dbclient -y -y -p "$ssh" admin@127.0.0.1 "show status" 2>&1) ||
  fail "ssh: $shell"
case "$shell" in *"hostname   e2e-console"*) ;; *) fail "show status over SSH: $shell" ;; esac
sshd=$(curl -sk -u admin:mGuard "$base/api/v1/logs?tag=sshd&limit=20")
case "$sshd" in *'Accepted password for admin from 192.168.1.2 port '*) ;; *) fail "no sshd line: $sshd" ;; esac
left=$((35 - ($(date +%s) - up)))
[ "$left" -le 0 ] || sleep "$left"
curl -sk --max-time 5 -o /dev/null "$base/" || fail "no HTTPS 35 s after the reboot"
[ "$(armed | grep -o 'init: watchdog /dev/watchdog armed' | wc -l)" = "$boots" ] || fail "a reset by the watchdog: $(armed)"
kill "$reader" 2>/dev/null || true
grep -q "Welcome, admin (admin)" "$log" || fail "no console login"
grep -q "Rebooting." "$log" || fail "no reboot from the console"

# A clean power-off, as ./scripts/run's user gets one: SIGTERM to image/qemu
# presses the power button (system_powerdown), the appliance shuts down and
# QEMU ends by itself.
exec 4<>"/dev/tcp/127.0.0.1/$serial"
(timeout 60 cat <&4 >"$log") &
reader=$!
exec 4>&-
sleep 1
kill -TERM "$qemu"
for _ in $(seq 1 90); do
  kill -0 "$qemu" 2>/dev/null || break
  sleep 0.5
done
kill -0 "$qemu" 2>/dev/null && fail "QEMU still runs 45 s after SIGTERM"
wait "$qemu" || fail "image/qemu ended with status $?"
kill "$reader" 2>/dev/null || true
grep -q "system_powerdown" "$IMAGE_DIR/qemu.log" || fail "image/qemu did not press the power button"
! grep -q "no power-off after" "$IMAGE_DIR/qemu.log" || fail "the appliance did not power off: QEMU was quit"
grep -q "init: power button /dev/input/event[0-9]* (Power Button) pressed: powering off" "$log" ||
  fail "no power button line on the console"
grep -q "^init: powering off" "$log" || fail "PID 1 did not power off"
echo "e2e: ok (sysinfo; the watchdog; an API change survived a hard reset; console login, change and reboot;" \
  "NTP stepped the clock; SSH show status; power-off by the power button)"
