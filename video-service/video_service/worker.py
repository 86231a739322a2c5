"""video-worker: `python -m video_service.worker [--host H] [--port P]`.

Runs the media jobs from the procrastinate queue (probe, thumbnail, HLS with ffmpeg),
retries the jobs of workers that stopped heart-beating (killed, lost), prunes old SSE
events, and answers /healthz, /readyz and /metrics on its port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import signal

import procrastinate
from procrastinate import JobContext, RetryStrategy

from media_common.db import Database
from media_common.logs import configure_logging
from media_common.storage import storage_from_settings
from video_service.media.health import start_health_server
from video_service.media.metrics import QUEUE_DEPTH
from video_service.media.runner import JobRunner, TransientJobError
from video_service.media_events import prune_events
from video_service.queue import QUEUE, TASK_NAME, JobQueue
from video_service.settings import Settings, get_settings

logger = logging.getLogger("video_service.worker")
PRUNE_EVERY_SECONDS = 600.0
SHUTDOWN_GRACE_SECONDS = 10.0


def queue_app(settings: Settings, runner: JobRunner) -> procrastinate.App:
    """The queue as the worker runs it: psycopg (async) connector, the one media task."""
    conninfo = settings.database_url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1, max_size=4)
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
                logger.warning("retrying job %s of a stalled worker", job.id)
                await app.job_manager.retry_job(job)
            if since_prune >= PRUNE_EVERY_SECONDS:
                await asyncio.to_thread(_prune, db, settings)
                since_prune = 0.0
        except Exception:
            logger.exception("stalled-job recovery failed (retrying)")
        await asyncio.sleep(settings.worker_heartbeat_seconds)
        since_prune += settings.worker_heartbeat_seconds


def _prune(db: Database, settings: Settings) -> None:
    from datetime import timedelta

    with db.sessionmaker.begin() as session:
        prune_events(session, timedelta(hours=settings.media_events_keep_hours))


async def serve(settings: Settings, host: str, port: int) -> None:
    db = Database(settings)
    storage = storage_from_settings(settings)
    queue = JobQueue(db.engine)
    runner = JobRunner(settings, db.sessionmaker, storage, queue)
    QUEUE_DEPTH.set_function(lambda: _depth(db, queue))
    health = start_health_server(host, port, db.ping)
    app = queue_app(settings, runner)
    loop = asyncio.get_running_loop()
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE],
                concurrency=settings.worker_concurrency,
                install_signal_handlers=False,
                update_heartbeat_interval=settings.worker_heartbeat_seconds,
                stalled_worker_timeout=settings.stalled_worker_seconds,
                shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
            )
        )
        recovery = asyncio.create_task(recover_stalled(app, settings, db))

        def stop() -> None:
            logger.info("stopping: running jobs go back to the queue")
            runner.stopping.set()
            worker.cancel()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
        logger.info("video-worker ready on %s:%s", host, port)
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        recovery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await recovery
    health.shutdown()
    queue.close()
    db.dispose()


def _depth(db: Database, queue: JobQueue) -> float:
    try:
        with db.sessionmaker() as session:
            return float(queue.depth(session))
    except Exception:
        return math.nan


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m video_service.worker")
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 (the container's health port)
    parser.add_argument("--port", type=int, default=settings.worker_port)
    args = parser.parse_args(argv)
    configure_logging(settings.service_name, settings.log_level)
    asyncio.run(serve(settings, args.host, args.port))


if __name__ == "__main__":
    main()
