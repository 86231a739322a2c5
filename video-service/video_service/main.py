"""The app factory: `uvicorn --factory video_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from media_common.app import create_service_app
from media_common.runtime import runtime_lifespan
from video_service.api import (
    routes_events,
    routes_jobs,
    routes_media,
    routes_stream,
    routes_upload,
    routes_videos,
    routes_webhooks,
)
from video_service.api.upload_limit import UploadSizeLimit
from video_service.runtime import Runtime
from video_service.settings import Settings, get_settings

# Room for the title, description and multipart boundaries on top of the file itself.
FORM_OVERHEAD_BYTES = 256 * 1024
UPLOAD_PATH = "/api/v1/videos"

DESCRIPTION = """Company videos: upload (admins), list, edit, soft delete and restore (paid
plan), streaming with Range support, signed playback URLs. The first stream of a video by
a user earns points, credited exactly once through an outbox.

Media pipeline: each upload is probed, gets a JPEG poster and an HLS rendition ladder,
made by video-worker processes from a PostgreSQL job queue; jobs report progress, live
over Server-Sent Events. Signed webhooks tell a company's own systems when its videos are
ready, failed, deleted or restored."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_secrets()
    runtime = Runtime.build(settings)

    app = create_service_app(
        slug="video",
        title="video-service",
        description=DESCRIPTION,
        version="1.0.0",
        settings=settings,
        is_ready=runtime.db.ping,
        lifespan=runtime_lifespan(runtime),
    )
    app.state.runtime = runtime
    app.include_router(routes_upload.router)
    app.add_middleware(
        UploadSizeLimit,
        path=UPLOAD_PATH,
        max_body_bytes=settings.max_upload_bytes + FORM_OVERHEAD_BYTES,
    )
    app.include_router(routes_videos.router)
    app.include_router(routes_stream.router)
    app.include_router(routes_media.router)
    app.include_router(routes_jobs.router)
    app.include_router(routes_events.router)
    app.include_router(routes_webhooks.router)
    return app
