"""The pipeline's outputs: the poster, the HLS master playlist, rendition playlists and
segments. Behind the gateway nginx sends the bytes (X-Accel-Redirect); the service only
decides. Segments cost no database query while the OutputCache is fresh (token in memory).
Whatever reads storage runs in a thread."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import StreamingResponse

from media_common.errors import NotFound, error_responses
from media_common.storage import ObjectStorage
from video_service.api.deps import (
    RuntimeDep,
    StreamableVideo,
    StreamViewer,
    VideoId,
)
from video_service.api.playback_count import count_view
from video_service.media.outputs import content_type
from video_service.runtime import Runtime

router = APIRouter(prefix="/api/v1/videos", tags=["media"])

MPEGURL = "application/vnd.apple.mpegurl"
Rendition = Annotated[str, Path(pattern=r"^[0-9]{3,4}p$", description="e.g. 720p")]
HlsFile = Annotated[
    str, Path(pattern=r"^(index\.m3u8|seg_[0-9]{5}\.ts)$", description="playlist or segment")
]
Accel = Annotated[str | None, Header(alias="x-accel-available", include_in_schema=False)]
TokenQuery = Annotated[
    str | None, Query(max_length=2048, description="Playback token from POST /playback")
]


def read_object(storage: ObjectStorage, key: str) -> bytes | None:
    """A small object (a playlist) whole, or None when it does not exist (blocking)."""
    stat = storage.stat(key)
    if stat is None:
        return None
    return b"".join(storage.open_range(key, 0, stat.size - 1))


async def _send(
    runtime: Runtime, key: str, accel: str | None, *, playlist_token: str | None = None
) -> Response:
    media_type = content_type(key)
    if accel == "1":
        target, extra = runtime.storage.accel_target(key)
        if playlist_token is not None:
            target = playlist_target(target, playlist_token)
        return Response(headers={"X-Accel-Redirect": target, **extra}, media_type=media_type)
    if playlist_token is not None:
        raw = await asyncio.to_thread(read_object, runtime.storage, key)
        if raw is None:
            raise NotFound("Not found")
        text = raw.decode().replace(".ts\n", f".ts?token={playlist_token}\n")
        return Response(text, media_type=media_type, headers={"Cache-Control": "no-store"})
    stat = await asyncio.to_thread(runtime.storage.stat, key)
    if stat is None:
        raise NotFound("Not found")
    body = await asyncio.to_thread(runtime.storage.open_range, key, 0, stat.size - 1)
    return StreamingResponse(
        body, media_type=media_type, headers={"Content-Length": str(stat.size)}
    )


def playlist_target(target: str, token: str) -> str:
    """The gateway location that serves a playlist with the token added to its segment
    URIs (nginx sub_filter; see the media block of gateway/nginx.conf.template)."""
    if target.startswith("/_protected/local/"):
        target = "/_protected/hls/local/" + target.removeprefix("/_protected/local/")
    else:
        target = "/_protected/hls/s3"
    return f"{target}?token={token}"


IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The poster", "content": {"image/jpeg": {}}},
    **error_responses(401, 404, 422),
}


@router.get("/{video_id}/thumbnail", response_class=Response, responses=IMAGE_RESPONSES)
async def get_thumbnail(
    video: StreamableVideo, runtime: RuntimeDep, accel: Accel = None
) -> Response:
    """The video's JPEG poster (at most 1280 px wide); 404 until the thumbnail job made it.
    Bearer token, or `?token=` from POST /playback."""
    if video.thumbnail_key is None:
        raise NotFound("The video has no thumbnail yet")
    return await _send(runtime, video.thumbnail_key, accel)


MASTER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "HLS master playlist", "content": {MPEGURL: {}}},
    **error_responses(401, 404, 422),
}


@router.get("/{video_id}/hls/master.m3u8", response_class=Response, responses=MASTER_RESPONSES)
async def get_master_playlist(
    video: StreamableVideo,
    viewer: StreamViewer,
    runtime: RuntimeDep,
    token: TokenQuery = None,
) -> Response:
    """The HLS master playlist (BANDWIDTH, RESOLUTION, CODECS per rendition); 404 until the
    HLS job succeeded. Every URI in it and in the playlists it names carries a playback
    token, so a player given only this URL (with `?token=`) plays the video. Fetching it
    starts playback: the caller's view is recorded (points once per user and video)."""
    if video.hls_prefix is None:
        raise NotFound("The video has no HLS renditions yet")
    raw = await asyncio.to_thread(read_object, runtime.storage, f"{video.hls_prefix}/master.m3u8")
    if raw is None:
        raise NotFound("The video has no HLS renditions yet")
    if token is None:
        token, _ = runtime.playback.issue(viewer, video.id)
    lines = [
        line if not line.strip() or line.startswith("#") else f"{line.strip()}?token={token}"
        for line in raw.decode().splitlines()
    ]
    await count_view(runtime, viewer, video.id)
    return Response(
        "\n".join(lines) + "\n", media_type=MPEGURL, headers={"Cache-Control": "no-store"}
    )


HLS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A rendition playlist or a segment",
        "content": {MPEGURL: {}, "video/mp2t": {}},
    },
    **error_responses(401, 404, 422),
}


@router.get("/{video_id}/hls/{rendition}/{name}", response_class=Response, responses=HLS_RESPONSES)
async def get_hls_file(
    video_id: VideoId,
    rendition: Rendition,
    name: HlsFile,
    viewer: StreamViewer,
    runtime: RuntimeDep,
    token: TokenQuery = None,
    accel: Accel = None,
) -> Response:
    """A rendition playlist (its segment URIs carry the token) or a segment. Authorised by
    the token alone plus a cached look at the video: no database query per segment."""
    outputs = await runtime.outputs.get(video_id)
    if outputs is None or outputs.company_id != viewer.company_id or outputs.hls_prefix is None:
        raise NotFound("Not found")
    key = f"{outputs.hls_prefix}/{rendition}/{name}"
    if name.endswith(".m3u8"):
        if token is None:
            token, _ = runtime.playback.issue(viewer, video_id)
        return await _send(runtime, key, accel, playlist_token=token)
    return await _send(runtime, key, accel)
