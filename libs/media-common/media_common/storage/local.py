"""Objects as files under one folder (the gateway serves them with an nginx `alias`)."""

from __future__ import annotations

import contextlib
import mimetypes
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from media_common.storage.base import CHUNK_SIZE, ObjectStat, Readable, validate_key

ACCEL_PREFIX = "/_protected/local/"
TEMP_PREFIX = "partial-"
_VIDEO_TYPES = {
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
}


def _read_range(src: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    with src:
        src.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = src.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


class LocalStorage:
    """Writes go to a temporary file in the target folder, then `os.replace` (atomic)."""

    def __init__(self, root: str | Path, *, fsync: bool = False) -> None:
        self.root = Path(root).resolve()
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"invalid object key: {key!r}")
        return path

    def put_stream(
        self,
        key: str,
        fileobj: Readable,
        size: int | None,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        # Content type and metadata are not kept: the type follows from the extension the
        # server chose, and the database holds the rest.
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}.tmp")
        try:
            with temp.open("wb") as out:
                shutil.copyfileobj(fileobj, out, CHUNK_SIZE)
                if self.fsync:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise

    def stat(self, key: str) -> ObjectStat | None:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        guessed = _VIDEO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        return ObjectStat(size, guessed or "application/octet-stream")

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        # Opened now, not on first iteration: a missing file fails before a response starts.
        src = self._path(key).open("rb")
        return _read_range(src, start, end)

    def list_keys(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """Also lists partial files left behind by a crashed writer, so a sweeper removes them."""
        for dirpath, _, filenames in os.walk(self.root):
            for name in filenames:
                full = Path(dirpath) / name
                key = full.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    mtime = full.stat().st_mtime
                except FileNotFoundError:
                    continue
                yield key, datetime.fromtimestamp(mtime, UTC)

    def accel_target(self, key: str) -> tuple[str, dict[str, str]]:
        return f"{ACCEL_PREFIX}{validate_key(key)}", {}

    def read_location(self, key: str) -> str:
        return str(self._path(key))
