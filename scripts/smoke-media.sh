#!/usr/bin/env bash
# Smoke test of the media pipeline through the gateway: an upload is probed, gets a poster
# and HLS from the video-workers, and a player given only the playback URLs gets the
# master playlist, a rendition playlist, a segment and the poster.
# Usage: BASE_URL=http://127.0.0.1:8080 [SMOKE_READY_SECONDS=300] scripts/smoke-media.sh
# Needs ffmpeg on the machine that runs it (it makes a 2 s clip with sound).
set -euo pipefail
# shellcheck source=scripts/smoke-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-lib.sh"

command -v ffmpeg >/dev/null 2>&1 || die "ffmpeg is needed to make the test clip"
CLIP="$SMOKE_TMP/clip.mp4"
ffmpeg -loglevel error -f lavfi -i testsrc=duration=2:size=320x240:rate=25 \
    -f lavfi -i sine=frequency=440:duration=2 -c:v libx264 -pix_fmt yuv420p -c:a aac \
    -shortest -movflags +faststart "$CLIP" || die "ffmpeg could not make the test clip"

ADMIN_EMAIL="media-$(random_suffix)@smoke.example.com"
create_company "$ADMIN_EMAIL"
login login "$ADMIN_EMAIL"
AUTH="$(auth "$ACCESS_TOKEN")"

step -j status=processing upload-video 201 POST /api/v1/videos -H "$AUTH" \
    -F "file=@$CLIP;type=video/mp4" -F 'title=Smoke media'
VIDEO_ID="$(jget id)"

# The workers run probe, thumbnail and hls; the video's status is the state to wait on.
deadline=$((SECONDS + ${SMOKE_READY_SECONDS:-300}))
status=processing
while [[ "$status" == processing ]]; do
    ((SECONDS < deadline)) || die "video-ready: still processing after ${SMOKE_READY_SECONDS:-300} s"
    sleep 1
    curl -sS --max-time 30 -o "$BODY" -H "$AUTH" "$BASE_URL/api/v1/videos/$VIDEO_ID" \
        || die "video-ready: curl failed"
    status="$(jget status)"
done
step -j status=ready -j width=320 -j height=240 -j video_codec=h264 \
    video-ready 200 GET "/api/v1/videos/$VIDEO_ID" -H "$AUTH"

step playback-urls 200 POST "/api/v1/videos/$VIDEO_ID/playback" -H "$AUTH"
HLS_URL="$(jget hls_url)"
THUMBNAIL_URL="$(jget thumbnail_url)"
[[ "$HLS_URL" == /* || "$HLS_URL" == http* ]] || die "playback-urls: hls_url is $HLS_URL"

# From here on no Authorization header: the URLs carry what a player needs.
step -h '^content-type: application/vnd.apple.mpegurl' -o "$SMOKE_TMP/master.m3u8" \
    hls-master 200 GET "$HLS_URL"
grep -q 'BANDWIDTH=.*RESOLUTION=.*CODECS=' "$SMOKE_TMP/master.m3u8" \
    || grep -q 'CODECS=' "$SMOKE_TMP/master.m3u8" || die "hls-master: no variant with CODECS"

resolve() {  # resolve BASE_URL_OF_PLAYLIST URI -> absolute URL
    python3 -c 'import sys, urllib.parse as u; print(u.urljoin(sys.argv[1], sys.argv[2]))' "$1" "$2"
}
master_url="$HLS_URL"
[[ "$master_url" == http* ]] || master_url="$BASE_URL$master_url"
rendition="$(grep -v '^#' "$SMOKE_TMP/master.m3u8" | grep -m1 .)" || die "hls-master: no rendition"
rendition_url="$(resolve "$master_url" "$rendition")"
step -o "$SMOKE_TMP/rendition.m3u8" hls-rendition 200 GET "$rendition_url"
segment="$(grep -v '^#' "$SMOKE_TMP/rendition.m3u8" | grep -m1 .)" || die "hls-rendition: no segment"
step -o "$SMOKE_TMP/segment.ts" hls-segment 200 GET "$(resolve "$rendition_url" "$segment")"
[[ -s "$SMOKE_TMP/segment.ts" ]] || die "hls-segment: empty segment"

step -h '^content-type: image/jpeg' -o "$SMOKE_TMP/poster.jpg" thumbnail 200 GET "$THUMBNAIL_URL"

finish
