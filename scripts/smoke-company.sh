#!/usr/bin/env bash
# Smoke test of company-service through the gateway: a company's life from creation to
# deactivation. Usage: BASE_URL=http://127.0.0.1:8080 scripts/smoke-company.sh
set -euo pipefail
# shellcheck source=scripts/smoke-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-lib.sh"

ADMIN_EMAIL="admin-$(random_suffix)@smoke.example.com"
create_company "$ADMIN_EMAIL"
login login "$ADMIN_EMAIL"
AUTH="$(auth "$ACCESS_TOKEN")"

step -j "id=$COMPANY_ID" -j "name=$COMPANY_NAME" get-company 200 \
    GET "/api/v1/companies/$COMPANY_ID" -H "$AUTH"

NEW_NAME="$COMPANY_NAME-renamed"
step -j "name=$NEW_NAME" rename-company 200 PATCH "/api/v1/companies/$COMPANY_ID" -H "$AUTH" \
    -H 'Content-Type: application/json' --data "$(json_of "name=$NEW_NAME")"

step -j plan=paid set-paid-plan 200 PUT "/api/v1/companies/$COMPANY_ID/plan" -H "$AUTH" \
    -H 'Content-Type: application/json' \
    --data "$(json_of plan=paid "expires_at=$(iso_in 86400)")"

step -j plan=paid -j effective_plan=paid effective-plan-paid 200 \
    GET "/api/v1/companies/$COMPANY_ID" -H "$AUTH"

step -j plan=free -j effective_plan=free set-free-plan 200 \
    PUT "/api/v1/companies/$COMPANY_ID/plan" -H "$AUTH" \
    -H 'Content-Type: application/json' --data "$(json_of plan=free)"

step deactivate-company 204 DELETE "/api/v1/companies/$COMPANY_ID" -H "$AUTH"

step login-refused 401 POST /api/v1/auth/login -H 'Content-Type: application/json' \
    --data "$(json_of "email=$ADMIN_EMAIL" "password=$SMOKE_PASSWORD")"

finish
