#!/bin/sh
# scripts/demo-cert.sh DIR: makes the demo's self-signed certificate, DIR/cert.pem and
# DIR/key.pem (ECDSA P-256, for localhost and 127.0.0.1, valid 30 days), unless one is
# there that is still valid for a day. The key is 0600. `make demo` and `make examples` run
# it; a real site uses acme: instead (docs/tls.md).
set -eu
dir=${1:-state/demo-tls}
mkdir -p "$dir"
if [ -f "$dir/cert.pem" ] && [ -f "$dir/key.pem" ] &&
    openssl x509 -in "$dir/cert.pem" -noout -checkend 86400 >/dev/null 2>&1; then
    exit 0
fi
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem.tmp" -out "$dir/cert.pem.tmp" 2>/dev/null
chmod 600 "$dir/key.pem.tmp"
chmod 644 "$dir/cert.pem.tmp"
mv "$dir/key.pem.tmp" "$dir/key.pem"
mv "$dir/cert.pem.tmp" "$dir/cert.pem"
echo "demo: made a self-signed certificate for localhost in $dir"
