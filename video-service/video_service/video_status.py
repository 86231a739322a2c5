"""A video's status (processing, ready, failed) follows from its media jobs.

`change_video_status` is the one place where the status changes; it runs inside the
transaction that finished (or created) the job, so whatever must happen with a status
change (the SSE event here; a webhook outbox row) commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.models import utcnow
from video_service.media_events import record_video_event
from video_service.models import ACTIVE_JOB_STATUSES, JOB_TYPES, MediaJob, Video
from video_service.webhooks import VIDEO_FAILED, VIDEO_READY, emit_video_event

# The webhook event of a status change that customers are told about.
WEBHOOK_EVENT_OF_STATUS = {"ready": VIDEO_READY, "failed": VIDEO_FAILED}


class JobState(Protocol):
    """What the status rule reads of a job."""

    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def status(self) -> str: ...


def derived_status(jobs: Sequence[JobState]) -> str:
    """processing while a job is queued or running; ready when the latest job of every
    type (canceled ones aside) succeeded; failed otherwise."""
    if any(job.status in ACTIVE_JOB_STATUSES for job in jobs):
        return "processing"
    latest: dict[str, JobState] = {}
    for job in sorted(jobs, key=lambda j: j.id):
        if job.status != "canceled":
            latest[job.type] = job
    if all(t in latest and latest[t].status == "succeeded" for t in JOB_TYPES):
        return "ready"
    return "failed"


async def settle_video_status(session: AsyncSession, video: Video) -> str:
    """Recompute the video's status from its jobs and apply a change."""
    jobs = (
        await session.execute(
            select(MediaJob.id, MediaJob.type, MediaJob.status).where(MediaJob.video_id == video.id)
        )
    ).all()
    status = derived_status(jobs)
    if status != video.status:
        await change_video_status(session, video, status)
    return status


async def change_video_status(session: AsyncSession, video: Video, status: str) -> None:
    """Set the status and record the change (inside the caller's transaction).

    The hook for anything that reacts to a video becoming `ready` or `failed`.
    """
    video.status = status
    video.updated_at = utcnow()
    await session.flush()
    await record_video_event(session, video)
    webhook_event = WEBHOOK_EVENT_OF_STATUS.get(status)
    if webhook_event is not None:
        await emit_video_event(session, video, webhook_event)
