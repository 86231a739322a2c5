"""What segment authorisation needs to know of a video, cached for a moment per process.

An HLS player fetches a segment every few seconds per viewer, and many viewers watch the
same video; the playback token is checked in memory, and this cache answers "whose video,
where are its outputs" with at most one query per video every `ttl` seconds, shared by
every request of the process (concurrent misses wait for the one query).

Only live videos are cached: a deleted or missing video is looked up every time, so a
restore takes effect at once. A delete takes effect at once in the process that made it
(`forget` runs after its commit) and within `ttl` (2 s) in every other process: the
longest a cached row outlives a delete. A new rendition set (the worker switches
`hls_prefix`) is seen within `ttl` too. The whole-file stream does not use this cache: it
must stop at once everywhere, so it looks the video up on every request (one statement).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from media_common.db import Query, Reader
from video_service.models import Video

DEFAULT_TTL_SECONDS = 2.0
CAPACITY = 50_000
_LIVE_OUTPUTS = Query(
    select(Video.company_id, Video.hls_prefix).where(
        Video.id == bindparam("video_id"), Video.deleted_at.is_(None)
    )
)


@dataclass(frozen=True, slots=True)
class VideoOutputs:
    company_id: int
    hls_prefix: str | None


class OutputCache:
    def __init__(
        self,
        reader: Reader,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        *,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.ttl = ttl_seconds
        self.capacity = capacity
        self._clock = clock
        self._entries: dict[int, tuple[float, VideoOutputs]] = {}
        self._loading: dict[int, asyncio.Task[VideoOutputs | None]] = {}

    async def get(self, video_id: int) -> VideoOutputs | None:
        """The live video's outputs (None when deleted or missing), at most `ttl` old."""
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

    async def _load(self, video_id: int) -> VideoOutputs | None:
        # Stamped with the time the query started: a load that overlapped a delete's
        # commit (and its `forget`) still expires `ttl` after that.
        started = self._clock()
        row = await self.reader.one(_LIVE_OUTPUTS, video_id=video_id)
        self._entries.pop(video_id, None)  # (re-)inserted last: the oldest go first
        if row is None:
            return None
        outputs = VideoOutputs(row.company_id, row.hls_prefix)
        self._entries[video_id] = (started, outputs)
        if len(self._entries) > self.capacity:
            del self._entries[next(iter(self._entries))]
        return outputs
