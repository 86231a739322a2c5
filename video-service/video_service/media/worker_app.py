"""The queue as the worker runs it, and the worker's housekeeping loop.

Kept out of `worker.py` (the `__main__` module) so the procrastinate app and its task are
defined in an importable module.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta

import procrastinate
from procrastinate import JobContext, RetryStrategy

from media_common.db import Database
from video_service.media.runner import JobRunner, TransientJobError
from video_service.media_events import prune_events
from video_service.queue import QUEUE, SEARCH_PATH_OPTION, TASK_NAME
from video_service.settings import Settings

logger = logging.getLogger("video_service.worker")
PRUNE_EVERY_SECONDS = 600.0


def queue_app(settings: Settings, runner: JobRunner) -> procrastinate.App:
    """The queue as the worker runs it: psycopg (async) connector, the one media task."""
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
    def run_media_job(context: JobContext, media_job_id: int) -> None:
        assert context.job is not None
        last_try = (context.job.attempts or 0) + 1 >= settings.job_max_attempts
        runner.run(media_job_id, last_try=last_try)

    return app


async def recover_stalled(app: procrastinate.App, settings: Settings, db: Database) -> None:
    """Put the jobs of workers gone silent back in the queue; prune old SSE events."""
    since_prune = math.inf
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=settings.stalled_worker_seconds
            )
            for job in stalled:
                try:
                    await app.job_manager.retry_job(job)
                except Exception as exc:  # another worker put it back first
                    logger.info("stalled job %s not retried here: %s", job.id, exc)
                    continue
                logger.warning("job %s of a stalled worker is back in the queue", job.id)
            if since_prune >= PRUNE_EVERY_SECONDS:
                await asyncio.to_thread(_prune, db, settings)
                since_prune = 0.0
        except Exception:
            logger.exception("stalled-job recovery failed (retrying)")
        await asyncio.sleep(settings.worker_heartbeat_seconds)
        since_prune += settings.worker_heartbeat_seconds


def _prune(db: Database, settings: Settings) -> None:
    with db.sessionmaker.begin() as session:
        prune_events(session, timedelta(hours=settings.media_events_keep_hours))
