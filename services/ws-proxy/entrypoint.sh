#!/bin/sh
# A fresh self-signed certificate per task for ALB -> task HTTPS (the ALB encrypts to targets but
# does not verify their certificates; the public certificate lives on the ALB, from ACM).
set -eu
if [ -n "${WSPROXY_TLS_DIR:-}" ] && [ ! -f "$WSPROXY_TLS_DIR/cert.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj "/CN=ws-proxy" -keyout "$WSPROXY_TLS_DIR/key.pem" -out "$WSPROXY_TLS_DIR/cert.pem" 2>/dev/null
fi
exec node main.ts
