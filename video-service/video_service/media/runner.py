"""JobRunner: one media job from claim to outcome, on the worker's event loop.

Short transactions only: claim, each progress write (which doubles as the heartbeat and
the cancel check), and the finish, which writes the outputs' location, the job's outcome,
the follow-up jobs and the video's status together. ffmpeg and ffprobe run as asyncio
subprocesses; storage and scratch-folder work goes to threads on purpose.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from media_common.db import Database
from media_common.storage import ObjectStorage
from video_service import jobs
from video_service.media import ffmpeg, outputs
from video_service.media.attempts import Attempt, JobAttempts
from video_service.media.ladder import ladder_for
from video_service.media.metrics import JOB_OUTCOMES, JOB_SECONDS
from video_service.models import Video
from video_service.queue import JobQueue
from video_service.settings import Settings

logger = logging.getLogger(__name__)


class TransientJobError(Exception):
    """Worth another attempt later (the queue retries with backoff)."""


@asynccontextmanager
async def scratch_folder(prefix: str, subfolders: tuple[str, ...] = ()) -> AsyncIterator[Path]:
    """A temporary local folder (with `subfolders`), removed afterwards; in threads."""

    def make() -> Path:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        for name in subfolders:
            (folder / name).mkdir()
        return folder

    folder = await asyncio.to_thread(make)
    try:
        yield folder
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


def store_file(storage: ObjectStorage, key: str, path: Path, content_type: str) -> None:
    """Put a local file into storage (blocking: call it in a thread)."""
    with path.open("rb") as handle:
        storage.put_stream(key, handle, path.stat().st_size, content_type)


class JobRunner:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        storage: ObjectStorage,
        queue: JobQueue,
    ) -> None:
        self.settings = settings
        self.sessions = db.sessionmaker
        self.storage = storage
        self.queue = queue
        self.attempts = JobAttempts(db.sessionmaker, settings.job_max_attempts)
        # Set on SIGTERM: running ffmpeg stops and its job goes back to the queue.
        self.stopping = asyncio.Event()

    async def run(self, job_id: int, *, last_try: bool) -> None:
        attempt = await self.attempts.claim(job_id)
        if attempt is None:
            return
        started = time.monotonic()
        try:
            await self._execute(attempt)
            JOB_OUTCOMES.labels(attempt.type, "succeeded").inc()
        except ffmpeg.Stopped:
            await self._discard(attempt)
            if self.stopping.is_set():
                await self._give_back(attempt)
            JOB_OUTCOMES.labels(attempt.type, "canceled").inc()
        except ffmpeg.MediaError as exc:
            await self._discard(attempt)
            if exc.permanent or last_try:
                await self.attempts.fail(attempt, exc.code, str(exc))
                JOB_OUTCOMES.labels(attempt.type, "failed").inc()
                return
            await self.attempts.requeue(attempt, exc.code, str(exc))
            raise TransientJobError(str(exc)) from exc
        except asyncio.CancelledError:
            # procrastinate cancels a job still running when its shutdown grace is over
            # (a probe or a poster do not look at `stopping`): give the job back too.
            if not self.stopping.is_set():
                raise
            await self._discard(attempt)
            await self._give_back(attempt)
        except Exception as exc:
            logger.exception("media job %s attempt %s failed", job_id, attempt.tag)
            await self._discard(attempt)
            if last_try:
                await self.attempts.fail(attempt, "INTERNAL", f"{type(exc).__name__}: {exc}"[:500])
                JOB_OUTCOMES.labels(attempt.type, "failed").inc()
                return
            await self.attempts.requeue(attempt, "RETRYING", f"{type(exc).__name__}: {exc}"[:500])
            raise TransientJobError(str(exc)) from exc
        finally:
            JOB_SECONDS.labels(attempt.type).observe(time.monotonic() - started)

    async def _give_back(self, attempt: Attempt) -> None:
        """The worker is shutting down: the job goes back to the queue (and is retried)."""
        await self.attempts.requeue(attempt, "WORKER_STOPPED", "the worker shut down; retried")
        raise TransientJobError("worker shutting down") from None

    async def _progress(self, attempt: Attempt, percent: int) -> bool:
        """False (stop ffmpeg) when the job was canceled or the worker is shutting down."""
        return not self.stopping.is_set() and await self.attempts.progress(attempt, percent)

    # ---- the work
    async def _video(self, attempt: Attempt) -> Video:
        async with self.sessions() as session:
            return await session.get_one(Video, attempt.video_id)

    async def _execute(self, attempt: Attempt) -> None:
        video = await self._video(attempt)
        source = await asyncio.to_thread(self.storage.read_location, video.storage_key)
        if attempt.type == "probe":
            await self._probe(attempt, source)
        elif attempt.type == "thumbnail":
            await self._thumbnail(attempt, video, source)
        else:
            await self._hls(attempt, video, source)

    async def _probe(self, attempt: Attempt, source: str) -> None:
        found = await ffmpeg.probe(self.settings.ffprobe_bin, source)
        async with self.sessions.begin() as session:
            job = await self.attempts.still_mine(session, attempt)
            if job is None:
                return
            video = await session.get_one(Video, attempt.video_id)
            video.duration_ms, video.width, video.height = (
                found.duration_ms, found.width, found.height,
            )  # fmt: skip
            video.video_codec, video.audio_codec = found.video_codec, found.audio_codec
            # Settled by the follow-ups' queueing: the video never looks finished between.
            await self.attempts.succeed(session, job, video, settle=False)
            for follow_up in ("thumbnail", "hls"):
                await jobs.enqueue_job(session, self.queue, video, follow_up)

    async def _probed(self, video: Video, source: str) -> ffmpeg.Probe:
        if video.duration_ms and video.width and video.height and video.video_codec:
            return ffmpeg.Probe(
                video.duration_ms, video.width, video.height, video.video_codec, video.audio_codec
            )
        return await ffmpeg.probe(self.settings.ffprobe_bin, source)

    async def _thumbnail(self, attempt: Attempt, video: Video, source: str) -> None:
        found = await self._probed(video, source)
        root = outputs.thumb_root(video.id)
        await asyncio.to_thread(outputs.delete_except, self.storage, root, video.thumbnail_key)
        key = outputs.thumb_key(video.id, attempt.tag)
        async with scratch_folder("poster-") as folder:
            target = folder / "poster.jpg"
            await ffmpeg.poster(self.settings.ffmpeg_bin, source, found.duration_ms, target)
            await asyncio.to_thread(store_file, self.storage, key, target, "image/jpeg")
        async with self.sessions.begin() as session:
            job = await self.attempts.still_mine(session, attempt)
            if job is None:
                raise ffmpeg.Stopped()
            live = await session.get_one(Video, video.id)
            live.thumbnail_key = key
            await self.attempts.succeed(session, job, live)
        await asyncio.to_thread(outputs.delete_except, self.storage, root, key)

    async def _hls(self, attempt: Attempt, video: Video, source: str) -> None:
        found = await self._probed(video, source)
        root = outputs.hls_root(video.id)
        await asyncio.to_thread(outputs.delete_except, self.storage, root, video.hls_prefix)
        prefix = outputs.hls_prefix(video.id, attempt.tag)
        ladder = ladder_for(found.width, found.height)
        options = ffmpeg.HlsOptions(
            self.settings.ffmpeg_preset,
            self.settings.ffmpeg_threads,
            self.settings.hls_segment_seconds,
        )
        async with scratch_folder("hls-", tuple(r.name for r in ladder)) as folder:
            cmd = ffmpeg.hls_command(
                self.settings.ffmpeg_bin, source, ladder, found.audio_codec is not None, options
            )
            await ffmpeg.run_with_progress(
                cmd,
                folder,
                found.duration_ms,
                lambda percent: self._progress(attempt, percent),
                report_every=min(0.5, self.settings.worker_heartbeat_seconds),
            )
            if not await self._progress(attempt, 99):
                raise ffmpeg.Stopped()
            await asyncio.to_thread(outputs.upload_folder, self.storage, folder, prefix)
        async with self.sessions.begin() as session:
            job = await self.attempts.still_mine(session, attempt)
            if job is None:
                raise ffmpeg.Stopped()
            live = await session.get_one(Video, video.id)
            live.hls_prefix = prefix
            await self.attempts.succeed(session, job, live)
        await asyncio.to_thread(outputs.delete_except, self.storage, root, prefix)

    async def _discard(self, attempt: Attempt) -> None:
        """Remove this attempt's outputs (the live ones stay)."""
        if attempt.type == "hls":
            prefix = outputs.hls_prefix(attempt.video_id, attempt.tag)
            await asyncio.to_thread(outputs.delete_except, self.storage, f"{prefix}/", None)
        elif attempt.type == "thumbnail":
            key = outputs.thumb_key(attempt.video_id, attempt.tag)
            await asyncio.to_thread(self.storage.delete, key)
