#!/usr/bin/env bash
# The fully static binary: `file` must call it statically linked, and it must
# work on its own: gaiconfig on a fresh store, with password hashing, and the
# core serving nph-vpn.cgi?cmd=sysinfo over TLS (its own certificate, Basic
# auth against the changed password).
set -euo pipefail
bin=${1:?usage: static_binary.sh path/to/bulwark}

description=$(file -b "$bin")
case "$description" in
  *"statically linked"*) ;;
  *) echo "FAIL: $bin is not statically linked: $description"; exit 1 ;;
esac

tmp=$(mktemp -d)
core=""
trap '[ -n "$core" ] && kill "$core" 2>/dev/null && wait "$core" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/data"
g=("$bin" gaiconfig --data-dir "$tmp/data" --run-dir "$tmp/run")
[ "$("${g[@]}" --get WWW_TIMEOUT)" = 1800 ] || { echo "FAIL: --get WWW_TIMEOUT"; exit 1; }
"${g[@]}" --set WWW_PASSWORD_RAW 'static s3cret'
case "$("${g[@]}" --get WWW_PASSWORD_RAW)" in
  '$y$'*) ;;
  *) echo "FAIL: the password was not hashed"; exit 1 ;;
esac
"${g[@]}" --get-all | "${g[@]}" --set-all

"$bin" init --data-dir "$tmp/data" --run-dir "$tmp/run" --listen 127.0.0.1:0 --console-log >"$tmp/core.log" 2>&1 &
core=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*HTTPS management listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/core.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: the static core did not listen"; cat "$tmp/core.log"; exit 1; }
answer=$(curl -sk --max-time 20 "https://admin:static%20s3cret@127.0.0.1:$port/nph-vpn.cgi?cmd=sysinfo")
case "$answer" in
  mGuardProductName=*) ;;
  *) echo "FAIL: sysinfo from the static core: $answer"; cat "$tmp/core.log"; exit 1 ;;
esac
echo "static binary: ok ($description)"
