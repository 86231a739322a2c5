"""Media job rules shared by the API and the worker: queueing, listing, canceling.

At most one queued-or-running job per (video, type): the partial unique index holds it,
and a second request for the same job gets the one already there.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.db import Query, Reader, Row
from media_common.errors import Conflict, NotFound
from media_common.models import utcnow
from media_common.paging import PagedQuery, PageParams, read_page
from video_service.media_events import lock_video, record_job_event
from video_service.models import ACTIVE_JOB_STATUSES, ONE_ACTIVE_PREDICATE, MediaJob, Video
from video_service.queue import JobQueue
from video_service.video_status import settle_video_status

# What the API shows of a job (JobRead.of reads these); reads run on the reader.
SHOWN = (
    MediaJob.id,
    MediaJob.video_id,
    MediaJob.type,
    MediaJob.status,
    MediaJob.progress,
    MediaJob.attempts,
    MediaJob.error_code,
    MediaJob.error_message,
    MediaJob.created_at,
    MediaJob.started_at,
    MediaJob.finished_at,
)
JOB_PAGE = PagedQuery(
    select(*SHOWN)
    .where(MediaJob.video_id == bindparam("video_id"))
    .order_by(MediaJob.created_at.desc(), MediaJob.id.desc())
)
LIVE_JOB = Query(
    select(*SHOWN)
    .join(Video, Video.id == MediaJob.video_id)
    .where(
        MediaJob.id == bindparam("job_id"),
        MediaJob.company_id == bindparam("company_id"),
        Video.deleted_at.is_(None),
    )
)


async def active_job(session: AsyncSession, video_id: int, job_type: str) -> MediaJob | None:
    return (
        await session.scalars(
            select(MediaJob).where(
                MediaJob.video_id == video_id,
                MediaJob.type == job_type,
                MediaJob.status.in_(ACTIVE_JOB_STATUSES),
            )
        )
    ).one_or_none()


async def enqueue_job(
    session: AsyncSession, queue: JobQueue, video: Video, job_type: str
) -> MediaJob:
    """A queued job of this type for the video: a new one, or the one already active."""
    await lock_video(session, video.id)
    inserted = (
        await session.execute(
            pg_insert(MediaJob)
            .values(video_id=video.id, company_id=video.company_id, type=job_type)
            .on_conflict_do_nothing(
                index_elements=["video_id", "type"],
                # The partial index's predicate as a literal: a bound parameter would keep
                # PostgreSQL from inferring the index once it plans the statement generically.
                index_where=ONE_ACTIVE_PREDICATE,
            )
            .returning(MediaJob.id)
        )
    ).scalar_one_or_none()
    if inserted is None:
        existing = await active_job(session, video.id, job_type)
        if existing is None:  # finished between the insert and the select: ask again
            return await enqueue_job(session, queue, video, job_type)
        return existing
    job = await session.get_one(MediaJob, inserted)
    job.queue_job_id = await queue.push(session, job)
    await session.flush()
    await record_job_event(session, job)
    await settle_video_status(session, video)
    return job


async def list_jobs(reader: Reader, video_id: int, page: PageParams) -> tuple[list[Row], int]:
    """A page of the video's jobs, newest first, and their total (one statement)."""
    return await read_page(reader, JOB_PAGE, page, video_id=video_id)


async def read_job(reader: Reader, company_id: int, job_id: int) -> Row:
    """The company's job of a live video, as a row of `SHOWN` (one statement); anything
    else is NOT_FOUND alike."""
    row = await reader.one(LIVE_JOB, company_id=company_id, job_id=job_id)
    if row is None:
        raise NotFound("Job not found")
    return row


async def get_job(session: AsyncSession, company_id: int, job_id: int) -> MediaJob:
    """The company's job of a live video to change; anything else is NOT_FOUND alike."""
    job = (
        await session.scalars(
            select(MediaJob)
            .join(Video, Video.id == MediaJob.video_id)
            .where(
                MediaJob.id == job_id,
                MediaJob.company_id == company_id,
                Video.deleted_at.is_(None),
            )
        )
    ).one_or_none()
    if job is None:
        raise NotFound("Job not found")
    return job


async def cancel_job(session: AsyncSession, queue: JobQueue, job: MediaJob) -> MediaJob:
    """Cancel a queued or running job; a finished one is a CONFLICT.

    A running worker sees the row change at its next progress write (about a second)
    and stops ffmpeg.
    """
    await lock_video(session, job.video_id)
    await session.refresh(job, with_for_update=True)
    if job.status not in ACTIVE_JOB_STATUSES:
        raise Conflict(f"The job has already finished ({job.status})")
    now = utcnow()
    job.status = "canceled"
    job.error_code, job.error_message = "CANCELED", "canceled by an admin"
    job.finished_at = job.updated_at = now
    if job.queue_job_id is not None:
        await queue.withdraw(session, job.queue_job_id)
    await session.flush()
    await record_job_event(session, job)
    video = await session.get_one(Video, job.video_id)
    await settle_video_status(session, video)
    return job
