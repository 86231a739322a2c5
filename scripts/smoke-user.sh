#!/usr/bin/env bash
# Smoke test of user-service through the gateway: invitation sign-up, tokens, roles, points, logout
# and deletion. Usage: BASE_URL=http://127.0.0.1:8080 scripts/smoke-user.sh
set -euo pipefail
# shellcheck source=scripts/smoke-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-lib.sh"

ADMIN_EMAIL="admin-$(random_suffix)@smoke.example.com"
MEMBER_EMAIL="member-$(random_suffix)@smoke.example.com"
create_company "$ADMIN_EMAIL"

login login-admin "$ADMIN_EMAIL"
ADMIN_AUTH="$(auth "$ACCESS_TOKEN")"
OLD_REFRESH="$REFRESH_TOKEN"
join member "$MEMBER_EMAIL" member "$ADMIN_AUTH"
MEMBER_ID="$USER_ID"
login login-member "$MEMBER_EMAIL"
MEMBER_AUTH="$(auth "$ACCESS_TOKEN")"
MEMBER_REFRESH="$REFRESH_TOKEN"

step -j token_type=bearer refresh 200 POST /api/v1/auth/refresh \
    -H 'Content-Type: application/json' --data "$(json_of "refresh_token=$OLD_REFRESH")"
NEW_REFRESH="$(jget refresh_token)"
[[ "$NEW_REFRESH" != "$OLD_REFRESH" ]] || die "refresh: the refresh token was not rotated"

# Reusing a rotated token is refused (and revokes its family; access tokens stay valid).
step -j code=UNAUTHORIZED old-refresh-refused 401 POST /api/v1/auth/refresh \
    -H 'Content-Type: application/json' --data "$(json_of "refresh_token=$OLD_REFRESH")"

step -j "id=$ADMIN_ID" -j "email=$ADMIN_EMAIL" -j role=admin -j points=0 users-me 200 \
    GET /api/v1/users/me -H "$ADMIN_AUTH"

step -j total=2 list-users-admin 200 GET /api/v1/users -H "$ADMIN_AUTH"

step -j code=FORBIDDEN list-users-member-forbidden 403 GET /api/v1/users -H "$MEMBER_AUTH"

step -j "name=Renamed Member" patch-name 200 PATCH "/api/v1/users/$MEMBER_ID" \
    -H "$MEMBER_AUTH" -H 'Content-Type: application/json' \
    --data "$(json_of "name=Renamed Member")"

step -j balance=0 -j total=0 points 200 GET /api/v1/users/me/points -H "$MEMBER_AUTH"

step logout 204 POST /api/v1/auth/logout \
    -H 'Content-Type: application/json' --data "$(json_of "refresh_token=$MEMBER_REFRESH")"

step logged-out-refresh-refused 401 POST /api/v1/auth/refresh \
    -H 'Content-Type: application/json' --data "$(json_of "refresh_token=$MEMBER_REFRESH")"

step delete-member 204 DELETE "/api/v1/users/$MEMBER_ID" -H "$ADMIN_AUTH"

step -j code=INVALID_CREDENTIALS member-login-refused 401 POST /api/v1/auth/login \
    -H 'Content-Type: application/json' \
    --data "$(json_of "email=$MEMBER_EMAIL" "password=$SMOKE_PASSWORD")"

finish
