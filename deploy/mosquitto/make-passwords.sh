#!/usr/bin/env bash
# Make mosquitto's password file for the given users (microgrid ids and
# `operator`), with a random password each, written also to <out>/<user>.password
# (0600) for the agent's site file: `bus.password: { file: ... }`. Usage:
#   make-passwords.sh <out-dir> <user>...
set -euo pipefail
out=${1:?out dir}; shift
mkdir -p "$out"
umask 077
: >"$out/passwd"
for u in "$@"; do
  p=$(openssl rand -hex 16)
  printf '%s' "$p" >"$out/$u.password"
  mosquitto_passwd -b "$out/passwd" "$u" "$p"
done
chmod 0640 "$out/passwd"
echo "password file $out/passwd for: $*"
