"""Streaming (X-Accel-Redirect behind the gateway, bytes with Range support without it)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from media_common.errors import error_responses
from video_service.api.deps import (
    CompanyVideo,
    CurrentUser,
    RuntimeDep,
    StreamTarget,
    StreamViewer,
)
from video_service.api.playback_count import count_view
from video_service.playback import Viewer
from video_service.ranges import counts_as_view, parse_range
from video_service.schemas import PlaybackRead

router = APIRouter(prefix="/api/v1/videos", tags=["streaming"])

STREAM_DOC = """The video's bytes. Bearer token, or `?token=` from POST /playback.

Without a `Range` header: 200 and the whole file. `Range: bytes=a-b`, `bytes=a-` or
`bytes=-n`: 206 with `Content-Range` (an end past the file is clamped); a start at or past
the end: 416 with `Content-Range: bytes */<size>`. Multiple ranges or a malformed header:
the whole file (200). HEAD answers the same headers without a body. Behind the gateway
the service answers with `X-Accel-Redirect` and nginx sends the bytes.

A GET that starts playback (no Range, or a range from byte 0) records the caller's view
of the video; the first view earns points once. HEAD never counts as a view.
"""


STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file", "content": {"video/mp4": {}}},
    206: {"description": "The requested range", "content": {"video/mp4": {}}},
    **error_responses(401, 404, 416, 422, 503),
}


@router.get(
    "/{video_id}/stream",
    response_class=Response,
    responses=STREAM_RESPONSES,
    description=STREAM_DOC,
    operation_id="stream_video",
)
@router.head(
    "/{video_id}/stream",
    response_class=Response,
    responses=STREAM_RESPONSES,
    description=STREAM_DOC,
    operation_id="stream_video_head",
)
async def stream_video(
    request: Request, video: StreamTarget, viewer: StreamViewer, runtime: RuntimeDep
) -> Response:
    """Stream the video (Range supported)."""
    # Read here rather than declared as parameters: both stay out of the document, and a
    # declared header costs FastAPI a per-request analysis on this hot route.
    range_header = request.headers.get("range")
    is_get = request.method == "GET"
    if request.headers.get("x-accel-available") == "1":
        # The hot path: the token checked in memory, one statement on the reader for the
        # video, the view written only for a pair this process has not seen viewed.
        if is_get and counts_as_view(range_header):
            await count_view(runtime, viewer, video.id)
        # No I/O: a local path, or an S3 URL presigned locally (the region is configured).
        target, extra = runtime.storage.accel_target(video.storage_key)
        headers = {"X-Accel-Redirect": target, **extra}
        return Response(status_code=200, headers=headers, media_type=video.content_type)

    size = video.size_bytes
    byte_range = parse_range(range_header, size)
    if is_get and counts_as_view(range_header):
        await count_view(runtime, viewer, video.id)
    start, end = (0, size - 1) if byte_range is None else (byte_range.start, byte_range.end)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    status = 200
    if byte_range is not None:
        status = 206
        headers["Content-Range"] = byte_range.content_range(size)
    if not is_get:
        return Response(status_code=status, headers=headers, media_type=video.content_type)
    # Opened in a thread; Starlette reads the chunks of a sync iterator in threads too.
    body = await asyncio.to_thread(runtime.storage.open_range, video.storage_key, start, end)
    return StreamingResponse(
        body,
        status_code=status,
        headers=headers,
        media_type=video.content_type,
    )


@router.post(
    "/{video_id}/playback",
    response_model=PlaybackRead,
    responses=error_responses(401, 404, 422),
)
async def create_playback(
    video: CompanyVideo, user: CurrentUser, runtime: RuntimeDep
) -> PlaybackRead:
    """Stream, HLS and poster URLs with a short-lived signed token, for players that cannot
    send headers (`hls_url`, `thumbnail_url`: null until the outputs exist)."""
    viewer = Viewer(user.user_id, user.company_id)
    token, expires_at = runtime.playback.issue(viewer, video.id)
    await count_view(runtime, viewer, video.id)
    base = f"/api/v1/videos/{video.id}"
    return PlaybackRead(
        url=f"{base}/stream?token={token}",
        expires_at=expires_at,
        hls_url=f"{base}/hls/master.m3u8?token={token}" if video.hls_prefix else None,
        thumbnail_url=f"{base}/thumbnail?token={token}" if video.thumbnail_key else None,
    )
