#!/usr/bin/env bash
# The fully static binary: `file` must call it statically linked, and it must
# work on its own (gaiconfig on a fresh store, with password hashing).
set -euo pipefail
bin=${1:?usage: static_binary.sh path/to/bulwark}

description=$(file -b "$bin")
case "$description" in
  *"statically linked"*) ;;
  *) echo "FAIL: $bin is not statically linked: $description"; exit 1 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/data"
g=("$bin" gaiconfig --data-dir "$tmp/data" --run-dir "$tmp/run")
[ "$("${g[@]}" --get WWW_TIMEOUT)" = 1800 ] || { echo "FAIL: --get WWW_TIMEOUT"; exit 1; }
"${g[@]}" --set WWW_PASSWORD_RAW 'static s3cret'
case "$("${g[@]}" --get WWW_PASSWORD_RAW)" in
  '$y$'*) ;;
  *) echo "FAIL: the password was not hashed"; exit 1 ;;
esac
"${g[@]}" --get-all | "${g[@]}" --set-all
echo "static binary: ok ($description)"
