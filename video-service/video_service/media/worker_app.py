"""The queue as the worker runs it, and the worker's housekeeping loop.

Kept out of `worker.py` (the `__main__` module) so the procrastinate app and its task are
defined in an importable module.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import procrastinate
from procrastinate import JobContext, RetryStrategy

from media_common.db import Database
from media_common.periodic import Periodic
from video_service.media.runner import JobRunner, TransientJobError
from video_service.media_events import prune_events
from video_service.queue import QUEUE, SEARCH_PATH_OPTION, TASK_NAME
from video_service.settings import Settings

logger = logging.getLogger("video_service.worker")
PRUNE_EVERY_SECONDS = 600.0


def queue_app(settings: Settings, runner: JobRunner) -> procrastinate.App:
    """The queue as the worker runs it: psycopg (async) connector, the one media task
    (an async task: it runs on the worker's event loop)."""
    conninfo = settings.database_url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo, kwargs={"options": SEARCH_PATH_OPTION}, min_size=1, max_size=4
        )
    )
    retry = RetryStrategy(
        max_attempts=settings.job_max_attempts,
        exponential_wait=settings.job_retry_base_seconds,
        retry_exceptions={TransientJobError},
    )

    @app.task(name=TASK_NAME, queue=QUEUE, pass_context=True, retry=retry)
    async def run_media_job(context: JobContext, media_job_id: int) -> None:
        assert context.job is not None
        last_try = (context.job.attempts or 0) + 1 >= settings.job_max_attempts
        await runner.run(media_job_id, last_try=last_try)

    return app


class StalledJobRecovery:
    """Puts the jobs of workers gone silent back in the queue (every heartbeat interval)
    and prunes old SSE events (every `PRUNE_EVERY_SECONDS`)."""

    def __init__(self, app: procrastinate.App, settings: Settings, db: Database) -> None:
        self.app = app
        self.settings = settings
        self.db = db
        self._pruned_at = -PRUNE_EVERY_SECONDS
        self._loop = Periodic(
            "stalled-job-recovery", self._round, settings.worker_heartbeat_seconds
        )

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _round(self) -> bool:
        stalled = await self.app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.stalled_worker_seconds
        )
        for job in stalled:
            try:
                await self.app.job_manager.retry_job(job)
            except Exception as exc:  # another worker put it back first
                logger.info("stalled job %s not retried here: %s", job.id, exc)
                continue
            logger.warning("job %s of a stalled worker is back in the queue", job.id)
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_SECONDS:
            async with self.db.sessionmaker.begin() as session:
                keep = timedelta(hours=self.settings.media_events_keep_hours)
                await prune_events(session, keep)
            self._pruned_at = time.monotonic()
        return False
