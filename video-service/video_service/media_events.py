"""Job and video changes as rows, in commit order per video: what the SSE stream replays.

Every transaction that changes a video's jobs or status takes the video's advisory lock
first (`lock_video`), so the event ids of one video are handed out and committed in the
same order: a reader that has seen id N never later finds a smaller id appear.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from media_common.models import utcnow
from video_service.models import MediaEvent, MediaJob, Video
from video_service.schemas import JobRead, VideoRead

# A second key space for pg_advisory_xact_lock(int, int), apart from the hashtext() locks.
VIDEO_LOCK_SPACE = 7411


def lock_video(session: Session, video_id: int) -> None:
    """Serialise this transaction's job and event writes with the video's other writers."""
    session.execute(select(func.pg_advisory_xact_lock(VIDEO_LOCK_SPACE, video_id % 2**31)))


def record_job_event(session: Session, job: MediaJob) -> None:
    payload = JobRead.of(job).model_dump(mode="json")
    session.add(MediaEvent(video_id=job.video_id, kind="job", payload=payload))
    session.flush()


def record_video_event(session: Session, video: Video) -> None:
    payload = VideoRead.model_validate(video).model_dump(mode="json")
    session.add(MediaEvent(video_id=video.id, kind="video", payload=payload))
    session.flush()


def events_after(
    session: Session, video_id: int, after_id: int, limit: int = 200
) -> list[MediaEvent]:
    """The video's events with an id above `after_id`, oldest first."""
    rows = session.scalars(
        select(MediaEvent)
        .where(MediaEvent.video_id == video_id, MediaEvent.id > after_id)
        .order_by(MediaEvent.id)
        .limit(limit)
    )
    return list(rows)


def prune_events(session: Session, keep: timedelta) -> int:
    """Forget events older than `keep` (a resume from before that starts at what is left)."""
    result = session.execute(delete(MediaEvent).where(MediaEvent.created_at < utcnow() - keep))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
