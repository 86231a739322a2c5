"""OrphanSweeper: removes stored objects that no video row points to.

An upload deletes its object when the row cannot be written, but a crash between the two
can still leave bytes behind. Every ORPHAN_SWEEP_SECONDS one replica (the one that gets
the advisory lock) lists the objects older than the grace period and deletes those
without a row. Soft-deleted videos keep their row, so their bytes are never touched.
The listing and the deletes are storage I/O: they run in a thread, a batch at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from media_common.periodic import Periodic
from media_common.storage import ObjectStorage
from video_service.models import Video

logger = logging.getLogger(__name__)

PREFIX = "videos/"
BATCH = 500
LOCK_NAME = "video:orphan-sweep"


def _next_batch(old: Iterator[str]) -> list[str]:
    return list(islice(old, BATCH))


class OrphanSweeper:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        storage: ObjectStorage,
        *,
        interval_seconds: float,
        grace_seconds: float,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.interval = interval_seconds
        self.grace = timedelta(seconds=grace_seconds)
        # the first sweep one interval after start: nothing can be orphaned that early
        self._loop = Periodic("orphan-sweeper", self._sweep, interval_seconds, wait_first=True)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _sweep(self) -> bool:
        await self.run_once()
        return False  # one listing of the bucket per interval, whatever it found

    async def run_once(self) -> int | None:
        """Delete orphans; the count, or None when another replica holds the lock."""
        async with self.sessionmaker.begin() as session:
            lock = func.pg_try_advisory_xact_lock(func.hashtext(LOCK_NAME))
            if not await session.scalar(select(lock)):
                return None
            cutoff = datetime.now(UTC) - self.grace
            old = (k for k, t in self.storage.list_keys(PREFIX) if t < cutoff)
            removed = 0
            while batch := await asyncio.to_thread(_next_batch, old):
                known = set(
                    await session.scalars(
                        select(Video.storage_key).where(Video.storage_key.in_(batch))
                    )
                )
                orphans = [key for key in batch if key not in known]
                await asyncio.to_thread(self._delete, orphans)
                removed += len(orphans)
            if removed:
                logger.info("orphan sweep removed %s objects", removed)
            return removed

    def _delete(self, keys: list[str]) -> None:
        for key in keys:
            self.storage.delete(key)
