"""POST /api/v1/videos: the upload (its own router: it carries the body size limit)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Form

from media_common.errors import error_responses
from video_service import videos
from video_service.api.deps import AdminOnly, RuntimeDep, SessionDep
from video_service.jobs import enqueue_job
from video_service.models import Video
from video_service.schemas import VideoRead, VideoUploadForm
from video_service.uploads import discard_object, store_upload

router = APIRouter(prefix="/api/v1/videos", tags=["videos"])


async def written_objects(runtime: RuntimeDep) -> AsyncIterator[list[str]]:
    """Keys stored by this request, deleted again if the request fails.

    Declared before the session in the route, so this cleanup runs after the commit and
    also covers a failing commit.
    """
    keys: list[str] = []
    try:
        yield keys
    except BaseException:
        for key in keys:
            await asyncio.to_thread(discard_object, runtime.storage, key)
        raise


WrittenObjects = Annotated[list[str], Depends(written_objects, scope="function")]


@router.post(
    "",
    status_code=201,
    response_model=VideoRead,
    responses=error_responses(400, 401, 403, 413, 415, 422),
    # One file, the two text fields (and a little slack); a text part holds at most a
    # 5000-character description in UTF-8. Beyond these: 400 before anything is stored.
    form_limits={"max_files": 1, "max_fields": 4, "max_part_size": 64 * 1024},
)
async def upload_video(
    written: WrittenObjects,
    session: SessionDep,
    admin: AdminOnly,
    runtime: RuntimeDep,
    form: Annotated[VideoUploadForm, Form(media_type="multipart/form-data")],
) -> Video:
    """Upload a video (admins). The type is read from the bytes: MP4, MOV, WebM, MKV.
    The answer comes at once with `status: processing`; the original plays at once, and
    the media jobs (probe, thumbnail, HLS) are queued for the workers.

    413 when the file is over MAX_UPLOAD_MB, 415 when it is not a video of those types,
    422 when `file` or `title` is missing or invalid, 400 for a malformed multipart body
    (no boundary, more than one file, a text field over 64 KiB).
    """
    # Starlette has spooled the file to disk; sniffing and copying it to storage is
    # blocking I/O, in a thread (1 MiB at a time: memory stays flat).
    stored = await asyncio.to_thread(
        store_upload,
        runtime.storage,
        admin.company_id,
        form.file.file,
        form.file.filename,
        runtime.settings.max_upload_bytes,
    )
    written.append(stored.key)
    video = await videos.create_video(
        session,
        company_id=admin.company_id,
        uploaded_by=admin.user_id,
        title=form.title,
        description=form.description,
        content_type=stored.content_type,
        size_bytes=stored.size,
        storage_key=stored.key,
        original_filename=stored.original_filename,
    )
    # The probe (then thumbnail and HLS) commits with the video: no video without its jobs.
    await enqueue_job(session, runtime.queue, video, "probe")
    return video
