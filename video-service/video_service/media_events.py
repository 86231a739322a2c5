"""Job and video changes as rows, in commit order per video: what the SSE stream replays.

Every transaction that changes a video's jobs or status takes the video's advisory lock
first (`lock_video`), so the event ids of one video are handed out and committed in the
same order: a reader that has seen id N never later finds a smaller id appear.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Text, cast, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.models import utcnow
from video_service.models import MediaEvent, MediaJob, Video
from video_service.schemas import JobRead, VideoRead

# A second key space for pg_advisory_xact_lock(int, int), apart from the hashtext() locks.
VIDEO_LOCK_SPACE = 7411


async def lock_video(session: AsyncSession, video_id: int) -> None:
    """Serialise this transaction's job and event writes with the video's other writers."""
    await session.execute(select(func.pg_advisory_xact_lock(VIDEO_LOCK_SPACE, video_id % 2**31)))


async def record_job_event(session: AsyncSession, job: MediaJob) -> None:
    payload = JobRead.of(job).model_dump(mode="json")
    session.add(MediaEvent(video_id=job.video_id, kind="job", payload=payload))
    await session.flush()


async def record_video_event(session: AsyncSession, video: Video) -> None:
    payload = VideoRead.model_validate(video).model_dump(mode="json")
    session.add(MediaEvent(video_id=video.id, kind="video", payload=payload))
    await session.flush()


async def events_after(
    session: AsyncSession, video_id: int, after_id: int, limit: int = 200
) -> list[tuple[int, str, str]]:
    """The video's events with an id above `after_id`, oldest first: (id, kind, payload
    as JSON text, straight from the database)."""
    rows = await session.execute(
        select(MediaEvent.id, MediaEvent.kind, cast(MediaEvent.payload, Text).label("payload"))
        .where(MediaEvent.video_id == video_id, MediaEvent.id > after_id)
        .order_by(MediaEvent.id)
        .limit(limit)
    )
    return [(row.id, row.kind, row.payload) for row in rows]


async def prune_events(session: AsyncSession, keep: timedelta) -> int:
    """Forget events older than `keep` (a resume from before that starts at what is left)."""
    result = await session.execute(
        delete(MediaEvent).where(MediaEvent.created_at < utcnow() - keep)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
