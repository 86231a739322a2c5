"""Media job rules shared by the API and the worker: queueing, listing, canceling.

At most one queued-or-running job per (video, type): the partial unique index holds it,
and a second request for the same job gets the one already there.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from media_common.errors import Conflict, NotFound
from media_common.models import utcnow
from video_service.media_events import lock_video, record_job_event
from video_service.models import ACTIVE_JOB_STATUSES, MediaJob, Video
from video_service.queue import JobQueue
from video_service.video_status import settle_video_status


def active_job(session: Session, video_id: int, job_type: str) -> MediaJob | None:
    return session.scalars(
        select(MediaJob).where(
            MediaJob.video_id == video_id,
            MediaJob.type == job_type,
            MediaJob.status.in_(ACTIVE_JOB_STATUSES),
        )
    ).one_or_none()


def enqueue_job(session: Session, queue: JobQueue, video: Video, job_type: str) -> MediaJob:
    """A queued job of this type for the video: a new one, or the one already active."""
    lock_video(session, video.id)
    inserted = session.execute(
        pg_insert(MediaJob)
        .values(video_id=video.id, company_id=video.company_id, type=job_type)
        .on_conflict_do_nothing(
            index_elements=["video_id", "type"],
            index_where=MediaJob.status.in_(ACTIVE_JOB_STATUSES),
        )
        .returning(MediaJob.id)
    ).scalar_one_or_none()
    if inserted is None:
        existing = active_job(session, video.id, job_type)
        if existing is None:  # finished between the insert and the select: ask again
            return enqueue_job(session, queue, video, job_type)
        return existing
    job = session.get_one(MediaJob, inserted)
    job.queue_job_id = queue.push(session, job)
    session.flush()
    record_job_event(session, job)
    settle_video_status(session, video)
    return job


def list_jobs(
    session: Session, video_id: int, *, limit: int, offset: int
) -> tuple[list[MediaJob], int]:
    where = MediaJob.video_id == video_id
    total = session.scalar(select(func.count()).select_from(MediaJob).where(where)) or 0
    items = session.scalars(
        select(MediaJob)
        .where(where)
        .order_by(MediaJob.created_at.desc(), MediaJob.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(items), total


def get_job(session: Session, company_id: int, job_id: int) -> MediaJob:
    """The company's job of a live video; anything else is NOT_FOUND alike."""
    job = session.scalars(
        select(MediaJob)
        .join(Video, Video.id == MediaJob.video_id)
        .where(
            MediaJob.id == job_id,
            MediaJob.company_id == company_id,
            Video.deleted_at.is_(None),
        )
    ).one_or_none()
    if job is None:
        raise NotFound("Job not found")
    return job


def cancel_job(session: Session, queue: JobQueue, job: MediaJob) -> MediaJob:
    """Cancel a queued or running job; a finished one is a CONFLICT.

    A running worker sees the row change at its next progress write (about a second)
    and stops ffmpeg.
    """
    lock_video(session, job.video_id)
    session.refresh(job, with_for_update=True)
    if job.status not in ACTIVE_JOB_STATUSES:
        raise Conflict(f"The job has already finished ({job.status})")
    now = utcnow()
    job.status = "canceled"
    job.error_code, job.error_message = "CANCELED", "canceled by an admin"
    job.finished_at = job.updated_at = now
    if job.queue_job_id is not None:
        queue.withdraw(session, job.queue_job_id)
    session.flush()
    record_job_event(session, job)
    video = session.get_one(Video, job.video_id)
    settle_video_status(session, video)
    return job
