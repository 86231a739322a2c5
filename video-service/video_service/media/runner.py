"""JobRunner: one media job from claim to outcome, on the worker.

Short transactions only: claim, each progress write (which doubles as the heartbeat and
the cancel check), and the finish, which writes the outputs' location, the job's outcome,
the follow-up jobs and the video's status together.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

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


class JobRunner:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        storage: ObjectStorage,
        queue: JobQueue,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.storage = storage
        self.queue = queue
        self.attempts = JobAttempts(sessions, settings.job_max_attempts)
        # Set on SIGTERM: running ffmpeg stops and its job goes back to the queue.
        self.stopping = threading.Event()

    def run(self, job_id: int, *, last_try: bool) -> None:
        attempt = self.attempts.claim(job_id)
        if attempt is None:
            return
        started = time.monotonic()
        try:
            self._execute(attempt)
            JOB_OUTCOMES.labels(attempt.type, "succeeded").inc()
        except ffmpeg.Stopped:
            self._discard(attempt)
            if self.stopping.is_set():
                self.attempts.requeue(attempt, "WORKER_STOPPED", "the worker shut down; retried")
                raise TransientJobError("worker shutting down") from None
            JOB_OUTCOMES.labels(attempt.type, "canceled").inc()
        except ffmpeg.MediaError as exc:
            self._discard(attempt)
            if exc.permanent or last_try:
                self.attempts.fail(attempt, exc.code, str(exc))
                JOB_OUTCOMES.labels(attempt.type, "failed").inc()
                return
            self.attempts.requeue(attempt, exc.code, str(exc))
            raise TransientJobError(str(exc)) from exc
        except Exception as exc:
            logger.exception("media job %s attempt %s failed", job_id, attempt.tag)
            self._discard(attempt)
            if last_try:
                self.attempts.fail(attempt, "INTERNAL", f"{type(exc).__name__}: {exc}"[:500])
                JOB_OUTCOMES.labels(attempt.type, "failed").inc()
                return
            self.attempts.requeue(attempt, "RETRYING", f"{type(exc).__name__}: {exc}"[:500])
            raise TransientJobError(str(exc)) from exc
        finally:
            JOB_SECONDS.labels(attempt.type).observe(time.monotonic() - started)

    def _progress(self, attempt: Attempt, percent: int) -> bool:
        """False (stop ffmpeg) when the job was canceled or the worker is shutting down."""
        return not self.stopping.is_set() and self.attempts.progress(attempt, percent)

    # ---- the work
    def _video(self, attempt: Attempt) -> Video:
        with self.sessions() as session:
            return session.get_one(Video, attempt.video_id)

    def _execute(self, attempt: Attempt) -> None:
        video = self._video(attempt)
        source = self.storage.read_location(video.storage_key)
        if attempt.type == "probe":
            self._probe(attempt, source)
        elif attempt.type == "thumbnail":
            self._thumbnail(attempt, video, source)
        else:
            self._hls(attempt, video, source)

    def _probe(self, attempt: Attempt, source: str) -> None:
        found = ffmpeg.probe(self.settings.ffprobe_bin, source)
        with self.sessions.begin() as session:
            job = self.attempts.still_mine(session, attempt)
            if job is None:
                return
            video = session.get_one(Video, attempt.video_id)
            video.duration_ms, video.width, video.height = (
                found.duration_ms, found.width, found.height,
            )  # fmt: skip
            video.video_codec, video.audio_codec = found.video_codec, found.audio_codec
            # Settled by the follow-ups' queueing: the video never looks finished between.
            self.attempts.succeed(session, job, video, settle=False)
            for follow_up in ("thumbnail", "hls"):
                jobs.enqueue_job(session, self.queue, video, follow_up)

    def _probed(self, video: Video, source: str) -> ffmpeg.Probe:
        if video.duration_ms and video.width and video.height and video.video_codec:
            return ffmpeg.Probe(
                video.duration_ms, video.width, video.height, video.video_codec, video.audio_codec
            )
        return ffmpeg.probe(self.settings.ffprobe_bin, source)

    def _thumbnail(self, attempt: Attempt, video: Video, source: str) -> None:
        found = self._probed(video, source)
        outputs.delete_except(self.storage, outputs.thumb_root(video.id), video.thumbnail_key)
        key = outputs.thumb_key(video.id, attempt.tag)
        with tempfile.TemporaryDirectory(prefix="poster-") as folder:
            target = Path(folder) / "poster.jpg"
            ffmpeg.poster(self.settings.ffmpeg_bin, source, found.duration_ms, target)
            with target.open("rb") as handle:
                self.storage.put_stream(key, handle, target.stat().st_size, "image/jpeg")
        with self.sessions.begin() as session:
            job = self.attempts.still_mine(session, attempt)
            if job is None:
                raise ffmpeg.Stopped()
            live = session.get_one(Video, video.id)
            live.thumbnail_key = key
            self.attempts.succeed(session, job, live)
        outputs.delete_except(self.storage, outputs.thumb_root(video.id), key)

    def _hls(self, attempt: Attempt, video: Video, source: str) -> None:
        found = self._probed(video, source)
        outputs.delete_except(self.storage, outputs.hls_root(video.id), video.hls_prefix)
        prefix = outputs.hls_prefix(video.id, attempt.tag)
        ladder = ladder_for(found.width, found.height)
        options = ffmpeg.HlsOptions(
            self.settings.ffmpeg_preset,
            self.settings.ffmpeg_threads,
            self.settings.hls_segment_seconds,
        )
        with tempfile.TemporaryDirectory(prefix="hls-") as folder:
            for rendition in ladder:
                (Path(folder) / rendition.name).mkdir()
            cmd = ffmpeg.hls_command(
                self.settings.ffmpeg_bin, source, ladder, found.audio_codec is not None, options
            )
            ffmpeg.run_with_progress(
                cmd,
                Path(folder),
                found.duration_ms,
                lambda percent: self._progress(attempt, percent),
                report_every=min(0.5, self.settings.worker_heartbeat_seconds),
            )
            if not self._progress(attempt, 99):
                raise ffmpeg.Stopped()
            outputs.upload_folder(self.storage, Path(folder), prefix)
        with self.sessions.begin() as session:
            job = self.attempts.still_mine(session, attempt)
            if job is None:
                raise ffmpeg.Stopped()
            live = session.get_one(Video, video.id)
            live.hls_prefix = prefix
            self.attempts.succeed(session, job, live)
        outputs.delete_except(self.storage, outputs.hls_root(video.id), prefix)

    def _discard(self, attempt: Attempt) -> None:
        """Remove this attempt's outputs (the live ones stay)."""
        if attempt.type == "hls":
            prefix = outputs.hls_prefix(attempt.video_id, attempt.tag)
            outputs.delete_except(self.storage, f"{prefix}/", None)
        elif attempt.type == "thumbnail":
            self.storage.delete(outputs.thumb_key(attempt.video_id, attempt.tag))
