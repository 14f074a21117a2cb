#!/usr/bin/env bash
# Make a CA, the broker's certificate and one client certificate per name
# (CN = the name: a microgrid id, or `operator`), for mosquitto.conf and
# mosquitto-mtls.conf. Usage:
#   make-certs.sh <out-dir> <broker-host-name-or-ip>[,<more>...] <name>...
# Keys are written 0600. Re-running keeps an existing CA (so issued client
# certificates stay valid) and re-issues the rest.
set -euo pipefail
out=${1:?out dir}; hosts=${2:?broker host}; shift 2
mkdir -p "$out"; cd "$out"
days=${DAYS:-825}
umask 077
if [[ ! -f ca.key ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=blackstart fleet CA" -keyout ca.key -out ca.crt 2>/dev/null
fi
san=""
IFS=, read -ra names <<<"$hosts"
for h in "${names[@]}"; do
  if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then san+="IP:$h,"; else san+="DNS:$h,"; fi
done
san=${san%,}
issue() { # name, extensions
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$2" >"$1.ext"
  openssl x509 -req -sha256 -days "$days" -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "subjectAltName=$san
extendedKeyUsage=serverAuth"
for n in "$@"; do issue "$n" "extendedKeyUsage=clientAuth"; done

for n in "$@"; do chmod 0644 "$n.crt"; done
chmod 0644 ca.crt server.crt
echo "certificates in $out: ca.crt, server.crt/key${*:+, }$(printf '%s.crt/key ' "$@")"
