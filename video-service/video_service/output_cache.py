"""What segment authorisation needs to know of a video, cached for a moment per process.

An HLS player fetches a segment every few seconds per viewer; the playback token is
checked in memory, and this cache answers "whose video, deleted or not, where are its
outputs" with at most one database query per video every `ttl` seconds, so a delete or a
restore takes effect within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from video_service.models import Video

DEFAULT_TTL_SECONDS = 2.0


@dataclass(frozen=True)
class VideoOutputs:
    company_id: int
    deleted: bool
    hls_prefix: str | None


class OutputCache:
    def __init__(
        self, sessions: sessionmaker[Session], ttl_seconds: float = DEFAULT_TTL_SECONDS
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl_seconds
        self._entries: dict[int, tuple[float, VideoOutputs | None]] = {}
        self._lock = threading.Lock()

    def get(self, video_id: int) -> VideoOutputs | None:
        """The video's state (None when it does not exist), at most `ttl` seconds old."""
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(video_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        with self.sessions() as session:
            row = session.execute(
                select(Video.company_id, Video.deleted_at, Video.hls_prefix).where(
                    Video.id == video_id
                )
            ).one_or_none()
        outputs = None if row is None else VideoOutputs(row[0], row[1] is not None, row[2])
        with self._lock:
            if len(self._entries) > 50_000:
                self._entries.clear()
            self._entries[video_id] = (now, outputs)
        return outputs
