#!/bin/sh
# Gateway image entrypoint: render /etc/nginx/media/nginx.conf.template from the environment
# (envsubst limited to the template's own placeholders, so nginx's $variables stay), check
# it, then run nginx in the foreground.
#   gateway-entrypoint                 render + run
#   gateway-entrypoint --render FILE   render into FILE and exit (used by tests)
set -eu

TEMPLATE="${TEMPLATE:-/etc/nginx/media/nginx.conf.template}"
OUT="${NGINX_CONF:-/tmp/nginx/nginx.conf}"

: "${NGINX_USER_DIRECTIVE:=}"
: "${WORKER_PROCESSES:=auto}"
: "${NGINX_PID:=/tmp/nginx/nginx.pid}"
: "${NGINX_ERROR_LOG:=/dev/stderr}"
: "${NGINX_ACCESS_LOG:=/dev/stdout}"
: "${NGINX_TEMP_DIR:=/tmp/nginx}"
: "${GATEWAY_LISTEN:=8080}"
: "${INTERNAL_LISTEN:=127.0.0.1:8081}"
: "${RESOLVER:=127.0.0.11}"
: "${MAX_UPLOAD_MB:=2048}"
: "${AUTH_RATE_LIMIT_PER_MIN:=60}"
: "${AUTH_RATE_LIMIT_BURST:=10}"
# Retry-After of a 429: the seconds until the limit frees one more request.
RATE_LIMIT_RETRY_AFTER=$(((60 + AUTH_RATE_LIMIT_PER_MIN - 1) / AUTH_RATE_LIMIT_PER_MIN))
export RATE_LIMIT_RETRY_AFTER
: "${STORAGE_DIR:=/srv/videos}"
: "${DOCS_HTML:=/etc/nginx/media/docs.html}"
: "${CONSOLE_DIR:=/etc/nginx/media/console}"
: "${COMPANY_UPSTREAM:=company-service:8000}"
: "${USER_UPSTREAM:=user-service:8000}"
: "${VIDEO_UPSTREAM:=video-service:8000}"
UPLOAD_BODY_MAX_MB=$((MAX_UPLOAD_MB + 1))
# proxy_pass dials these names and nginx resolves them per request through $RESOLVER (cached
# for the template's resolver valid=), so a replaced task's new address is found. The
# template's upstream blocks serve the local stack's fixed addresses; here they stay unused.
COMPANY_PROXY="$COMPANY_UPSTREAM"
USER_PROXY="$USER_UPSTREAM"
VIDEO_PROXY="$VIDEO_UPSTREAM"
UNUSED_UPSTREAM="server 127.0.0.1:9 down; # unused: proxy_pass resolves the service name"
COMPANY_UPSTREAM_SERVERS="$UNUSED_UPSTREAM"
USER_UPSTREAM_SERVERS="$UNUSED_UPSTREAM"
VIDEO_UPSTREAM_SERVERS="$UNUSED_UPSTREAM"

export NGINX_USER_DIRECTIVE WORKER_PROCESSES NGINX_PID NGINX_ERROR_LOG NGINX_ACCESS_LOG \
    NGINX_TEMP_DIR GATEWAY_LISTEN INTERNAL_LISTEN RESOLVER MAX_UPLOAD_MB UPLOAD_BODY_MAX_MB \
    AUTH_RATE_LIMIT_PER_MIN AUTH_RATE_LIMIT_BURST STORAGE_DIR DOCS_HTML CONSOLE_DIR \
    COMPANY_UPSTREAM_SERVERS USER_UPSTREAM_SERVERS VIDEO_UPSTREAM_SERVERS \
    COMPANY_PROXY USER_PROXY VIDEO_PROXY

# Only the placeholders the template itself uses.
VARS="$(grep -o '\${[A-Z][A-Z0-9_]*}' "$TEMPLATE" | sort -u | tr '\n' ' ')"

if [ "${1:-}" = "--render" ]; then
    envsubst "$VARS" <"$TEMPLATE" >"$2"
    exit 0
fi

mkdir -p "$NGINX_TEMP_DIR" "$(dirname "$OUT")"
envsubst "$VARS" <"$TEMPLATE" >"$OUT"
if grep -n '\${' "$OUT"; then
    echo "gateway: unrendered placeholder(s) in $OUT" >&2
    exit 1
fi
nginx -t -q -e /dev/stderr -c "$OUT"
exec nginx -e /dev/stderr -c "$OUT" -g 'daemon off;'
