"""Video metadata rules: tenancy, soft delete, restore. No HTTP here."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from media_common.errors import Conflict, NotFound
from media_common.models import utcnow
from video_service.models import Video
from video_service.schemas import VideoUpdate
from video_service.webhooks import VIDEO_DELETED, VIDEO_RESTORED, emit_video_event


def get_video(
    session: Session, company_id: int, video_id: int, *, include_deleted: bool = False
) -> Video:
    """The company's video; another company's or a missing one is NOT_FOUND alike.

    Soft-deleted videos are hidden unless `include_deleted`.
    """
    query = select(Video).where(Video.id == video_id, Video.company_id == company_id)
    if not include_deleted:
        query = query.where(Video.deleted_at.is_(None))
    video = session.scalars(query).one_or_none()
    if video is None:
        raise NotFound("Video not found")
    return video


def list_videos(
    session: Session, company_id: int, *, trash: bool, limit: int, offset: int
) -> tuple[list[Video], int]:
    """A page of the company's live videos (or its trash), newest first, and the total."""
    where = [
        Video.company_id == company_id,
        Video.deleted_at.is_not(None) if trash else Video.deleted_at.is_(None),
    ]
    total = session.scalar(select(func.count()).select_from(Video).where(*where)) or 0
    items = session.scalars(
        select(Video)
        .where(*where)
        .order_by(Video.created_at.desc(), Video.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), total


def create_video(
    session: Session,
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
    session.flush()
    session.refresh(video)
    return video


def update_video(session: Session, video: Video, changes: VideoUpdate) -> Video:
    """Apply the fields the client sent; an empty body changes nothing."""
    fields = changes.model_dump(include=changes.model_fields_set)
    if not fields:
        return video
    for name, value in fields.items():
        setattr(video, name, value)
    video.updated_at = utcnow()
    session.flush()
    return video


def soft_delete(session: Session, company_id: int, video_id: int) -> None:
    """Hide the video (bytes kept). One statement, so two concurrent deletes give one 404."""
    now = utcnow()
    deleted = session.scalars(
        update(Video)
        .where(
            Video.id == video_id,
            Video.company_id == company_id,
            Video.deleted_at.is_(None),
        )
        .values(deleted_at=now, updated_at=now)
        .returning(Video)
    ).one_or_none()
    if deleted is None:
        raise NotFound("Video not found")
    emit_video_event(session, deleted, VIDEO_DELETED)


def restore(
    session: Session, company_id: int, video_id: int, require_paid_plan: Callable[[], None]
) -> Video:
    """Bring a deleted video back. Not deleted → 409 CONFLICT; the plan check may raise."""
    video = get_video(session, company_id, video_id, include_deleted=True)
    if video.deleted_at is None:
        raise Conflict("The video is not deleted")
    require_paid_plan()
    restored = session.execute(
        update(Video)
        .where(Video.id == video.id, Video.deleted_at.is_not(None))
        .values(deleted_at=None, updated_at=utcnow())
        .returning(Video.id)
    ).scalar_one_or_none()
    if restored is None:
        raise Conflict("The video was restored meanwhile")
    session.refresh(video)
    emit_video_event(session, video, VIDEO_RESTORED)
    return video
