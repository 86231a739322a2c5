"""List, read, edit, delete and restore videos."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from media_common.db import Row
from media_common.errors import error_responses
from media_common.paging import PageQuery
from video_service import videos
from video_service.api.deps import (
    AdminOnly,
    AdminVideo,
    CompanyVideo,
    CurrentUser,
    ReaderDep,
    RuntimeDep,
    SessionDep,
    VideoId,
)
from video_service.models import Video
from video_service.schemas import VideoPage, VideoRead, VideoUpdate

router = APIRouter(prefix="/api/v1/videos", tags=["videos"])


@router.get("", response_model=VideoPage, responses=error_responses(401, 403, 422))
async def list_videos(
    user: CurrentUser,
    reader: ReaderDep,
    page: PageQuery,
    deleted: Annotated[bool, Query(description="true: the trash (admins only)")] = False,
) -> VideoPage:
    """The company's videos, newest first; `?deleted=true` lists the trash (admins)."""
    if deleted:
        user.require_admin("Only company admins may see deleted videos")
    items, total = await videos.list_videos(reader, user.company_id, trash=deleted, page=page)
    return VideoPage(
        items=[VideoRead.model_validate(v) for v in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{video_id}", response_model=VideoRead, responses=error_responses(401, 404, 422))
async def get_video(video: CompanyVideo) -> Row:
    """One video of the company (a deleted one is 404)."""
    return video


@router.patch(
    "/{video_id}", response_model=VideoRead, responses=error_responses(401, 403, 404, 422)
)
async def update_video(video: AdminVideo, changes: VideoUpdate, session: SessionDep) -> Video:
    """Change title and/or description (admins); an empty body changes nothing."""
    return await videos.update_video(session, video, changes)


@router.delete("/{video_id}", status_code=204, responses=error_responses(401, 403, 404, 422))
async def delete_video(video_id: VideoId, admin: AdminOnly, session: SessionDep) -> Response:
    """Soft-delete (admins): hidden from lists, reads and streams; the bytes are kept."""
    await videos.soft_delete(session, admin.company_id, video_id)
    return Response(status_code=204)


@router.post(
    "/{video_id}/restore",
    response_model=VideoRead,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def restore_video(
    video_id: VideoId, admin: AdminOnly, session: SessionDep, runtime: RuntimeDep
) -> Video:
    """Restore a deleted video (admins, paid plan: else 403 PLAN_REQUIRED; not deleted: 409)."""
    return await videos.restore(
        session,
        admin.company_id,
        video_id,
        lambda: runtime.plans.require_paid(admin.company_id),
    )
