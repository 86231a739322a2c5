"""Video metadata rules: tenancy, soft delete, restore. No HTTP here.

Reads are statements compiled once (`media_common.db.Query`) run on the reader: one
round trip on a connection given back at once, rows of the needed columns, no ORM
entity. Writes load and change ORM entities inside the request's transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.db import Query, Reader, Row
from media_common.errors import Conflict, NotFound
from media_common.models import utcnow
from media_common.paging import PagedQuery, PageParams, read_page
from video_service.models import Video
from video_service.schemas import VideoUpdate
from video_service.webhooks import VIDEO_DELETED, VIDEO_RESTORED, emit_video_event

# What the API shows of a video (VideoRead).
SHOWN = (
    Video.id,
    Video.title,
    Video.description,
    Video.company_id,
    Video.content_type,
    Video.size_bytes,
    Video.original_filename,
    Video.status,
    Video.duration_ms,
    Video.width,
    Video.height,
    Video.video_codec,
    Video.audio_codec,
    Video.created_at,
    Video.updated_at,
    Video.deleted_at,
)
_LIVE_OF_COMPANY = (
    Video.id == bindparam("video_id"),
    Video.company_id == bindparam("company_id"),
    Video.deleted_at.is_(None),
)
# A live video of the company, as shown, with its outputs' locations.
LIVE_VIDEO = Query(select(*SHOWN, Video.thumbnail_key, Video.hls_prefix).where(*_LIVE_OF_COMPANY))
# What the stream needs of it (its hot path reads no other column).
STREAM_TARGET = Query(
    select(Video.id, Video.storage_key, Video.size_bytes, Video.content_type).where(
        *_LIVE_OF_COMPANY
    )
)
_NEWEST_FIRST = (Video.created_at.desc(), Video.id.desc())
LIVE_PAGE = PagedQuery(
    select(*SHOWN)
    .where(Video.company_id == bindparam("company_id"), Video.deleted_at.is_(None))
    .order_by(*_NEWEST_FIRST)
)
TRASH_PAGE = PagedQuery(
    select(*SHOWN)
    .where(Video.company_id == bindparam("company_id"), Video.deleted_at.is_not(None))
    .order_by(*_NEWEST_FIRST)
)
# Set on a session that soft-deleted videos (their ids): once it commits, this process
# forgets them in its OutputCache at once (other processes within the cache's TTL).
VIDEOS_DELETED = "videos_deleted"


async def read_video(
    reader: Reader, company_id: int, video_id: int, query: Query = LIVE_VIDEO
) -> Row:
    """The company's live video as a row of `query` (one statement); another company's,
    a deleted or a missing one is NOT_FOUND alike."""
    row = await reader.one(query, company_id=company_id, video_id=video_id)
    if row is None:
        raise NotFound("Video not found")
    return row


async def list_videos(
    reader: Reader, company_id: int, *, trash: bool, page: PageParams
) -> tuple[list[Row], int]:
    """A page of the company's live videos (or its trash), newest first, and the total."""
    return await read_page(reader, TRASH_PAGE if trash else LIVE_PAGE, page, company_id=company_id)


async def get_video(
    session: AsyncSession, company_id: int, video_id: int, *, include_deleted: bool = False
) -> Video:
    """The company's video to change; another company's or a missing one is NOT_FOUND alike.

    Soft-deleted videos are hidden unless `include_deleted`.
    """
    query = select(Video).where(Video.id == video_id, Video.company_id == company_id)
    if not include_deleted:
        query = query.where(Video.deleted_at.is_(None))
    video = (await session.scalars(query)).one_or_none()
    if video is None:
        raise NotFound("Video not found")
    return video


async def create_video(
    session: AsyncSession,
    *,
    company_id: int,
    uploaded_by: int,
    title: str,
    description: str | None,
    content_type: str,
    size_bytes: int,
    storage_key: str,
    original_filename: str | None,
) -> Video:
    video = Video(
        company_id=company_id,
        uploaded_by=uploaded_by,
        title=title,
        description=description,
        content_type=content_type,
        size_bytes=size_bytes,
        storage_key=storage_key,
        original_filename=original_filename,
    )
    session.add(video)
    await session.flush()
    await session.refresh(video)
    return video


async def update_video(session: AsyncSession, video: Video, changes: VideoUpdate) -> Video:
    """Apply the fields the client sent; an empty body changes nothing."""
    fields = changes.model_dump(include=changes.model_fields_set)
    if not fields:
        return video
    for name, value in fields.items():
        setattr(video, name, value)
    video.updated_at = utcnow()
    await session.flush()
    return video


async def soft_delete(session: AsyncSession, company_id: int, video_id: int) -> None:
    """Hide the video (bytes kept). One statement, so two concurrent deletes give one 404."""
    now = utcnow()
    deleted = (
        await session.scalars(
            update(Video)
            .where(
                Video.id == video_id,
                Video.company_id == company_id,
                Video.deleted_at.is_(None),
            )
            .values(deleted_at=now, updated_at=now)
            .returning(Video)
        )
    ).one_or_none()
    if deleted is None:
        raise NotFound("Video not found")
    session.info.setdefault(VIDEOS_DELETED, set()).add(video_id)
    await emit_video_event(session, deleted, VIDEO_DELETED)


async def restore(
    session: AsyncSession,
    company_id: int,
    video_id: int,
    require_paid_plan: Callable[[], Awaitable[None]],
) -> Video:
    """Bring a deleted video back. Not deleted → 409 CONFLICT; the plan check may raise."""
    video = await get_video(session, company_id, video_id, include_deleted=True)
    if video.deleted_at is None:
        raise Conflict("The video is not deleted")
    await require_paid_plan()
    restored = (
        await session.execute(
            update(Video)
            .where(Video.id == video.id, Video.deleted_at.is_not(None))
            .values(deleted_at=None, updated_at=utcnow())
            .returning(Video.id)
        )
    ).scalar_one_or_none()
    if restored is None:
        raise Conflict("The video was restored meanwhile")
    await session.refresh(video)
    await emit_video_event(session, video, VIDEO_RESTORED)
    return video
