"""OrphanSweeper: removes stored objects that no video row points to.

An upload deletes its object when the row cannot be written, but a crash between the two
can still leave bytes behind. Every ORPHAN_SWEEP_SECONDS one replica (the one that gets
the advisory lock) lists the objects older than the grace period and deletes those
without a row. Soft-deleted videos keep their row, so their bytes are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from media_common.periodic import Periodic
from media_common.storage import ObjectStorage
from video_service.models import Video

logger = logging.getLogger(__name__)

PREFIX = "videos/"
BATCH = 500
LOCK_NAME = "video:orphan-sweep"


def _batches(items: Iterable[tuple[str, datetime]], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := [key for key, _ in islice(iterator, size)]:
        yield batch


class OrphanSweeper:
    def __init__(
        self,
        sessionmaker: sessionmaker[Session],
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

    def stop(self, timeout: float = 5.0) -> None:
        self._loop.stop(timeout)

    def _sweep(self) -> bool:
        self.run_once()
        return False  # one listing of the bucket per interval, whatever it found

    def run_once(self) -> int | None:
        """Delete orphans; the count, or None when another replica holds the lock."""
        with self.sessionmaker.begin() as session:
            lock = func.pg_try_advisory_xact_lock(func.hashtext(LOCK_NAME))
            locked = session.scalar(select(lock))
            if not locked:
                return None
            cutoff = datetime.now(UTC) - self.grace
            old = ((k, t) for k, t in self.storage.list_keys(PREFIX) if t < cutoff)
            removed = 0
            for batch in _batches(old, BATCH):
                known = set(
                    session.scalars(select(Video.storage_key).where(Video.storage_key.in_(batch)))
                )
                for key in batch:
                    if key not in known:
                        self.storage.delete(key)
                        removed += 1
            if removed:
                logger.info("orphan sweep removed %s objects", removed)
            return removed
