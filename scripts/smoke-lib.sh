# shellcheck shell=bash disable=SC2034  # globals (USER_ID, ACCESS_TOKEN...) are for callers
# Shared functions of the smoke scripts (scripts/smoke-*.sh). Source it, don't run it.
#
#   step [-j PATH=VALUE]... [-h REGEX]... [-o FILE] NAME STATUS METHOD URL [curl args...]
#
# runs one HTTP request against $BASE_URL (URL may also be absolute), prints
#   ok   NAME (HTTP 201, 12 ms)
# and exits non-zero, showing the status, headers and body, when the status differs from
# STATUS, a JSON field differs (-j items.0.id=42) or no response header matches a regex
# (-h '^content-range: bytes 0-99/'). After a step: $STATUS, $BODY (file), $HEADERS (file).
# A 429 (the gateway rate-limits login/refresh) is waited out and retried, unless expected.
#   jget PATH          prints a field of the last JSON body (dotted path, list indexes)
#   auth TOKEN         prints the Authorization header line for curl -H

set -euo pipefail

BASE_URL="${BASE_URL:-http://127.0.0.1:8080}"
BASE_URL="${BASE_URL%/}"
SMOKE_TMP="$(mktemp -d "${TMPDIR:-/tmp}/smoke.XXXXXX")"
trap 'rm -rf "$SMOKE_TMP"' EXIT
BODY="$SMOKE_TMP/body"
HEADERS="$SMOKE_TMP/headers"
STATUS=""
STEP_COUNT=0

die() {
    printf 'FAIL %s\n' "$*" >&2
    exit 1
}

random_suffix() {
    python3 -c 'import secrets; print(secrets.token_hex(5))'
}

iso_in() {  # iso_in SECONDS -> ISO-8601 UTC timestamp that many seconds from now
    python3 -c 'import sys, datetime as d; t = d.datetime.now(d.UTC) + d.timedelta(seconds=int(sys.argv[1])); print(t.isoformat())' "$1"
}

json_of() {  # json_of key=value ... -> a JSON object of strings (key:=value for raw JSON)
    python3 - "$@" <<'PY'
import json
import sys

obj = {}
for arg in sys.argv[1:]:
    if ":=" in arg:
        key, raw = arg.split(":=", 1)
        obj[key] = json.loads(raw)
    else:
        key, value = arg.split("=", 1)
        obj[key] = value
sys.stdout.write(json.dumps(obj))
PY
}

json_path() {  # json_path FILE PATH -> the value (strings bare, the rest as JSON)
    python3 - "$1" "$2" <<'PY'
import json
import sys

try:
    value = json.load(open(sys.argv[1], encoding="utf-8"))
except ValueError:
    sys.stderr.write("response body is not JSON\n")
    sys.exit(2)
for part in [p for p in sys.argv[2].split(".") if p]:
    try:
        value = value[int(part)] if isinstance(value, list) else value[part]
    except (KeyError, IndexError, ValueError, TypeError):
        sys.stderr.write(f"no field {sys.argv[2]!r} in the response\n")
        sys.exit(2)
sys.stdout.write(value if isinstance(value, str) else json.dumps(value))
PY
}

jget() {
    json_path "$BODY" "$1"
}

auth() {
    printf 'Authorization: Bearer %s' "$1"
}

show_response() {
    {
        printf '  response headers:\n'
        sed 's/^/    /' "$HEADERS" 2>/dev/null | tr -d '\r' | head -30
        printf '  response body:\n'
        if [[ -s "$BODY" ]]; then
            head -c 2000 "$BODY" | sed 's/^/    /'
            printf '\n'
        else
            printf '    (empty)\n'
        fi
    } >&2
}

step() {
    local -a json_checks=() header_checks=()
    local out_file=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -j) json_checks+=("$2"); shift 2 ;;
            -h) header_checks+=("$2"); shift 2 ;;
            -o) out_file="$2"; shift 2 ;;
            *) break ;;
        esac
    done
    local name="$1" expected="$2" method="$3" url="$4"
    shift 4
    [[ "$url" == http://* || "$url" == https://* ]] || url="$BASE_URL$url"
    local target="${out_file:-$BODY}"
    STEP_COUNT=$((STEP_COUNT + 1))
    : >"$BODY"
    : >"$HEADERS"
    local -a method_args=(-X "$method")
    [[ "$method" == HEAD ]] && method_args=(--head)
    local meta rc attempt=0 pause
    while :; do
        rc=0
        meta="$(curl -sS "${method_args[@]}" -o "$target" -D "$HEADERS" \
            -H "X-Request-ID: smoke-$STEP_COUNT-$$" \
            --max-time "${SMOKE_TIMEOUT:-60}" \
            -w '%{http_code} %{time_total}' "$@" "$url")" || rc=$?
        if [[ $rc -ne 0 ]]; then
            die "$name: curl failed (exit $rc) on $method $url"
        fi
        # The gateway rate-limits login/refresh per client address; wait instead of failing.
        if [[ "${meta%% *}" != 429 || "$expected" == 429 ]] \
            || ((attempt >= ${SMOKE_RATE_LIMIT_RETRIES:-30})); then
            break
        fi
        attempt=$((attempt + 1))
        pause="$(tr -d '\r' <"$HEADERS" | awk -F': ' 'tolower($1) == "retry-after" { print $2 }')"
        [[ "$pause" =~ ^[0-9]+$ && "$pause" -le 5 && "$pause" -gt 0 ]] || pause=1
        printf 'wait %s: HTTP 429 (rate limited), retrying in %s s\n' "$name" "$pause" >&2
        sleep "$pause"
    done
    STATUS="${meta%% *}"
    local ms
    ms="$(awk -v t="${meta##* }" 'BEGIN { printf "%d", t * 1000 }')"
    if [[ -n "$out_file" && "$out_file" != "$BODY" && "$STATUS" != "$expected" ]]; then
        head -c 2000 "$out_file" >"$BODY" || true
    fi
    if [[ "$STATUS" != "$expected" ]]; then
        printf 'FAIL %s: %s %s answered HTTP %s, expected %s (%s ms)\n' \
            "$name" "$method" "$url" "$STATUS" "$expected" "$ms" >&2
        show_response
        exit 1
    fi
    local check path want got
    for check in "${json_checks[@]+"${json_checks[@]}"}"; do
        path="${check%%=*}"
        want="${check#*=}"
        got="$(json_path "$target" "$path" 2>&1)" || got="<$got>"
        if [[ "$got" != "$want" ]]; then
            printf 'FAIL %s: field %s is %s, expected %s\n' "$name" "$path" "$got" "$want" >&2
            show_response
            exit 1
        fi
    done
    for check in "${header_checks[@]+"${header_checks[@]}"}"; do
        if ! tr -d '\r' <"$HEADERS" | grep -qiE -- "$check"; then
            printf 'FAIL %s: no response header matches /%s/\n' "$name" "$check" >&2
            show_response
            exit 1
        fi
    done
    printf 'ok   %s (HTTP %s, %s ms)\n' "$name" "$STATUS" "$ms"
}

# Helpers for the flows every script starts with. They set globals for the caller.

create_company() {  # create_company ADMIN_EMAIL -> sets COMPANY_ID, COMPANY_NAME, ADMIN_ID
    COMPANY_NAME="smoke-$(random_suffix)"
    local admin
    admin="$(json_of "email=$1" "password=$SMOKE_PASSWORD" "name=Smoke Admin")"
    step -j "name=$COMPANY_NAME" -j plan=free -j admin.role=admin -j "admin.email=$1" \
        create-company 201 POST /api/v1/companies -H 'Content-Type: application/json' \
        --data "$(json_of "name=$COMPANY_NAME" "admin:=$admin")"
    COMPANY_ID="$(jget id)"
    ADMIN_ID="$(jget admin.id)"
}

join() {  # join NAME EMAIL ROLE ADMIN_AUTH -> sets USER_ID: steps invite-NAME, signup-NAME
    step -j "email=$2" -j "role=$3" "invite-$1" 201 POST /api/v1/invitations -H "$4" \
        -H 'Content-Type: application/json' --data "$(json_of "email=$2" "role=$3")"
    local token
    token="$(jget token)"
    step -j "role=$3" -j "email=$2" -j "company_id=$COMPANY_ID" "signup-$1" 201 \
        POST /api/v1/users -H 'Content-Type: application/json' \
        --data "$(json_of "invitation_token=$token" "password=$SMOKE_PASSWORD" "name=Smoke ${3^}")"
    USER_ID="$(jget id)"
}

login() {  # login STEP-NAME EMAIL -> sets ACCESS_TOKEN, REFRESH_TOKEN
    step -j token_type=bearer "$1" 200 POST /api/v1/auth/login \
        -H 'Content-Type: application/json' \
        --data "$(json_of "email=$2" "password=$SMOKE_PASSWORD")"
    ACCESS_TOKEN="$(jget access_token)"
    REFRESH_TOKEN="$(jget refresh_token)"
}

SMOKE_PASSWORD="smoke-pass-$(random_suffix)"

finish() {
    printf 'ok   all %d steps passed (%s)\n' "$STEP_COUNT" "$(basename "$0")"
}
