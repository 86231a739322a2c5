#!/usr/bin/env bash
# Smoke test of video-service through the gateway: upload, list, Range streaming, playback
# URL, soft delete, restore on a paid plan, and the points a first view earns.
# Usage: BASE_URL=http://127.0.0.1:8080 [SMOKE_VIDEO=file.mp4] scripts/smoke-video.sh
set -euo pipefail
# shellcheck source=scripts/smoke-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-lib.sh"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXPECTED_POINTS="${EXPECTED_POINTS:-10}"

find_video() {
    if [[ -n "${SMOKE_VIDEO:-}" ]]; then
        [[ -f "$SMOKE_VIDEO" ]] || die "SMOKE_VIDEO=$SMOKE_VIDEO does not exist"
        printf '%s' "$SMOKE_VIDEO"
        return
    fi
    local fixture
    for fixture in "$REPO_ROOT"/video-service/tests/fixtures/*.mp4; do
        if [[ -f "$fixture" ]]; then
            printf '%s' "$fixture"
            return
        fi
    done
    if command -v ffmpeg >/dev/null 2>&1; then
        ffmpeg -loglevel error -f lavfi -i testsrc=duration=1:size=64x64:rate=10 \
            -pix_fmt yuv420p -movflags +faststart "$SMOKE_TMP/generated.mp4" >&2 \
            || die "ffmpeg could not generate a test video"
        printf '%s' "$SMOKE_TMP/generated.mp4"
        return
    fi
    die "no test video: no video-service/tests/fixtures/*.mp4, no SMOKE_VIDEO and no ffmpeg"
}

VIDEO_FILE="$(find_video)"
VIDEO_SIZE="$(wc -c <"$VIDEO_FILE" | tr -d ' ')"

ADMIN_EMAIL="admin-$(random_suffix)@smoke.example.com"
create_company "$ADMIN_EMAIL"
login login "$ADMIN_EMAIL"
AUTH="$(auth "$ACCESS_TOKEN")"

step -j "size_bytes=$VIDEO_SIZE" -j "company_id=$COMPANY_ID" -j title=Smoke\ video \
    upload-video 201 POST /api/v1/videos -H "$AUTH" \
    -F "file=@$VIDEO_FILE;type=video/mp4" -F 'title=Smoke video' \
    -F 'description=uploaded by scripts/smoke-video.sh'
VIDEO_ID="$(jget id)"

step -j total=1 -j "items.0.id=$VIDEO_ID" list-videos 200 GET /api/v1/videos -H "$AUTH"

LAST=$((VIDEO_SIZE < 100 ? VIDEO_SIZE - 1 : 99))
step -h "^content-range: bytes 0-$LAST/$VIDEO_SIZE\$" -h "^content-length: $((LAST + 1))\$" \
    -o "$SMOKE_TMP/range.bin" \
    range-stream 206 GET "/api/v1/videos/$VIDEO_ID/stream" -H "$AUTH" -H "Range: bytes=0-$LAST"
cmp -s <(head -c $((LAST + 1)) "$VIDEO_FILE") "$SMOKE_TMP/range.bin" \
    || die "range-stream: the bytes differ from the uploaded file"

step -j code=RANGE_NOT_SATISFIABLE range-not-satisfiable 416 \
    GET "/api/v1/videos/$VIDEO_ID/stream" -H "$AUTH" -H "Range: bytes=$VIDEO_SIZE-"

step playback-url 200 POST "/api/v1/videos/$VIDEO_ID/playback" -H "$AUTH"
PLAYBACK_URL="$(jget url)"
jget expires_at >/dev/null

# No Authorization header: the signed token in the URL is the credential.
step -h "^content-length: $VIDEO_SIZE\$" -o "$SMOKE_TMP/full.bin" \
    playback-stream 200 GET "$PLAYBACK_URL"
cmp -s "$VIDEO_FILE" "$SMOKE_TMP/full.bin" \
    || die "playback-stream: the bytes differ from the uploaded file"

step soft-delete 204 DELETE "/api/v1/videos/$VIDEO_ID" -H "$AUTH"

step -j code=NOT_FOUND deleted-is-hidden 404 GET "/api/v1/videos/$VIDEO_ID" -H "$AUTH"

step -j code=PLAN_REQUIRED restore-refused-on-free 403 \
    POST "/api/v1/videos/$VIDEO_ID/restore" -H "$AUTH"

step -j effective_plan=paid upgrade-plan 200 PUT "/api/v1/companies/$COMPANY_ID/plan" \
    -H "$AUTH" -H 'Content-Type: application/json' \
    --data "$(json_of plan=paid "expires_at=$(iso_in 86400)")"

step -j "id=$VIDEO_ID" -j deleted_at=null restore 200 \
    POST "/api/v1/videos/$VIDEO_ID/restore" -H "$AUTH"

step -h "^content-length: $VIDEO_SIZE\$" -h '^accept-ranges: bytes' \
    -o "$SMOKE_TMP/again.bin" \
    stream-again 200 GET "/api/v1/videos/$VIDEO_ID/stream" -H "$AUTH"
cmp -s "$VIDEO_FILE" "$SMOKE_TMP/again.bin" \
    || die "stream-again: the bytes differ from the uploaded file"

# The first stream (range-stream) earns the points once; poll for up to 2 s.
points_credited() {
    local started now
    started="$(date +%s%N)"
    while :; do
        step users-me-poll 200 GET /api/v1/users/me -H "$AUTH" >/dev/null
        STEP_COUNT=$((STEP_COUNT - 1))
        now="$(date +%s%N)"
        if [[ "$(jget points)" == "$EXPECTED_POINTS" ]]; then
            printf 'ok   points-credited (points %s, %d ms of polling)\n' "$EXPECTED_POINTS" \
                $(((now - started) / 1000000))
            STEP_COUNT=$((STEP_COUNT + 1))
            return
        fi
        if (((now - started) / 1000000 > 2000)); then
            die "points-credited: /users/me points is $(jget points), expected $EXPECTED_POINTS"
        fi
        sleep 0.2
    done
}
points_credited

finish
