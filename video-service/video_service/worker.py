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

from media_common.db import Database
from media_common.logs import configure_logging
from media_common.storage import storage_from_settings
from video_service.media.health import start_health_server
from video_service.media.metrics import QUEUE_DEPTH
from video_service.media.runner import JobRunner
from video_service.media.worker_app import StalledJobRecovery, queue_app
from video_service.queue import QUEUE, JobQueue
from video_service.settings import Settings, get_settings

logger = logging.getLogger("video_service.worker")
SHUTDOWN_GRACE_SECONDS = 10.0


async def serve(settings: Settings, host: str, port: int) -> None:
    db = Database(settings)
    storage = storage_from_settings(settings)
    queue = JobQueue(db.engine)
    runner = JobRunner(settings, db, storage, queue)

    async def measure_queue() -> None:
        QUEUE_DEPTH.set(await _depth(db, queue))

    health = await start_health_server(host, port, db.ping, measure_queue)
    app = queue_app(settings, runner)
    loop = asyncio.get_running_loop()
    try:
        async with app.open_async():
            worker = asyncio.create_task(
                app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=settings.worker_concurrency,
                    install_signal_handlers=False,
                    update_heartbeat_interval=settings.worker_heartbeat_seconds,
                    stalled_worker_timeout=settings.stalled_worker_seconds,
                    shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
                    delete_jobs="successful",  # media_jobs keeps the history
                )
            )
            recovery = StalledJobRecovery(app, settings, db)
            recovery.start()

            def stop() -> None:
                logger.info("stopping: running jobs go back to the queue")
                runner.stopping.set()
                worker.cancel()

            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop)
            logger.info("video-worker ready on %s:%s", host, port)
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await recovery.stop()
    finally:
        health.close()
        await health.wait_closed()
        await db.dispose()


async def _depth(db: Database, queue: JobQueue) -> float:
    try:
        async with db.read_sessionmaker() as session:
            return float(await queue.depth(session))
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
