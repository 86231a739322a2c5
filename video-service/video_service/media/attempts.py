"""JobAttempts: the short transactions of one attempt at a media job.

Claim, progress (which doubles as the heartbeat and the cancel check), requeue, failure
and success; each checks under the video's lock that the job is still this attempt's, so
a canceled job or an attempt superseded after a stall never writes over the truth.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from media_common.models import utcnow
from video_service.media.metrics import JOB_OUTCOMES
from video_service.media_events import lock_video, record_job_event
from video_service.models import MediaJob, Video
from video_service.video_status import settle_video_status


@dataclass(frozen=True)
class Attempt:
    job_id: int
    video_id: int
    type: str
    tag: str


class JobAttempts:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_attempts: int) -> None:
        self.sessions = sessions
        self.max_attempts = max_attempts

    async def claim(self, job_id: int) -> Attempt | None:
        async with self.sessions.begin() as session:
            job = await session.get(MediaJob, job_id)
            if job is None:
                return None
            await lock_video(session, job.video_id)
            await session.refresh(job, with_for_update=True)
            if job.status not in ("queued", "running"):
                return None  # canceled (or already finished by an earlier delivery)
            now = utcnow()
            job.attempts += 1
            if job.attempts > self.max_attempts:
                await self.set_failed(
                    session, job, "WORKER_LOST", "the job's workers kept stopping"
                )
                return None
            job.status, job.progress = "running", 0
            job.attempt_tag = uuid.uuid4().hex[:16]
            job.started_at = job.started_at or now
            job.heartbeat_at = job.updated_at = now
            await session.flush()
            await record_job_event(session, job)
            return Attempt(job.id, job.video_id, job.type, job.attempt_tag)

    async def still_mine(self, session: AsyncSession, attempt: Attempt) -> MediaJob | None:
        await lock_video(session, attempt.video_id)
        job = await session.get(MediaJob, attempt.job_id, with_for_update=True)
        if job is None or job.status != "running" or job.attempt_tag != attempt.tag:
            return None
        return job

    async def progress(self, attempt: Attempt, percent: int) -> bool:
        """Write progress and heartbeat; False when the job is no longer this attempt's."""
        async with self.sessions.begin() as session:
            job = await self.still_mine(session, attempt)
            if job is None:
                return False
            job.heartbeat_at = job.updated_at = utcnow()
            if percent > job.progress:
                job.progress = percent
            await session.flush()
            await record_job_event(session, job)
            return True

    async def requeue(self, attempt: Attempt, code: str, message: str) -> None:
        async with self.sessions.begin() as session:
            job = await self.still_mine(session, attempt)
            if job is None:
                return
            job.status, job.progress = "queued", 0
            job.error_code, job.error_message = code, message
            job.updated_at = utcnow()
            await session.flush()
            await record_job_event(session, job)
        JOB_OUTCOMES.labels(attempt.type, "retried").inc()

    async def fail(self, attempt: Attempt, code: str, message: str) -> None:
        async with self.sessions.begin() as session:
            job = await self.still_mine(session, attempt)
            if job is not None:
                await self.set_failed(session, job, code, message)

    async def set_failed(
        self, session: AsyncSession, job: MediaJob, code: str, message: str
    ) -> None:
        job.status, job.error_code, job.error_message = "failed", code, message
        job.finished_at = job.updated_at = utcnow()
        await session.flush()
        await record_job_event(session, job)
        await settle_video_status(session, await session.get_one(Video, job.video_id))

    async def succeed(
        self, session: AsyncSession, job: MediaJob, video: Video, *, settle: bool = True
    ) -> None:
        job.status, job.progress = "succeeded", 100
        job.error_code = job.error_message = None
        job.finished_at = job.updated_at = utcnow()
        await session.flush()
        await record_job_event(session, job)
        if settle:
            await settle_video_status(session, video)
