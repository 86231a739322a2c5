"""What the stream and HLS paths need to know of a live video, cached for a moment per
process.

A player asks for the file again on every seek (each range is authorised by the service
before nginx sends it) and for an HLS segment every few seconds; many viewers watch the
same video. The playback or access token is checked in memory, and this cache answers
"whose video, where are its bytes and outputs" with at most one query per video every
`ttl` seconds, shared by every request of the process (concurrent misses wait for one
query).

Deletes: only live videos are cached. A delete takes effect at once in the process that
made it (`forget` runs after its commit) and within `ttl` (2 s) in every other process:
that is the longest a cached row outlives a delete. A deleted or missing video is looked
up every time, so a restore takes effect at once everywhere. A new HLS rendition set is
seen within `ttl` (the worker switches `hls_prefix`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from video_service.models import Video

DEFAULT_TTL_SECONDS = 2.0
CAPACITY = 50_000


@dataclass(frozen=True, slots=True)
class CachedVideo:
    id: int
    company_id: int
    storage_key: str
    size_bytes: int
    content_type: str
    hls_prefix: str | None


class VideoCache:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        *,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl_seconds
        self.capacity = capacity
        self._clock = clock
        self._entries: dict[int, tuple[float, CachedVideo]] = {}
        self._loading: dict[int, asyncio.Task[CachedVideo | None]] = {}

    async def get(self, video_id: int) -> CachedVideo | None:
        """The live video (None when deleted or missing), at most `ttl` seconds old."""
        entry = self._entries.get(video_id)
        if entry is not None and self._clock() - entry[0] < self.ttl:
            return entry[1]
        loading = self._loading.get(video_id)
        if loading is None:
            loading = asyncio.get_running_loop().create_task(self._load(video_id))
            self._loading[video_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(video_id, None))
        # shielded: a client that goes away does not cancel the query the others wait for
        return await asyncio.shield(loading)

    def forget(self, video_id: int) -> None:
        self._entries.pop(video_id, None)

    async def _load(self, video_id: int) -> CachedVideo | None:
        started = self._clock()
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(
                        Video.id,
                        Video.company_id,
                        Video.storage_key,
                        Video.size_bytes,
                        Video.content_type,
                        Video.hls_prefix,
                    ).where(Video.id == video_id, Video.deleted_at.is_(None))
                )
            ).one_or_none()
        if row is None:
            self._entries.pop(video_id, None)
            return None
        video = CachedVideo(*row)
        self._entries.pop(video_id, None)  # re-inserted last: the oldest go first
        self._entries[video_id] = (started, video)
        if len(self._entries) > self.capacity:
            del self._entries[next(iter(self._entries))]
        return video
