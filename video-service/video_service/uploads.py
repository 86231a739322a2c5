"""Put an uploaded file into object storage: sniff, size-check, stream in chunks.

Starlette has already spooled the multipart file to disk (memory stays flat); from there
it is copied to storage 1 MiB at a time while the bytes are counted again, so a body that
slipped past the Content-Length check still cannot exceed the limit.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from media_common.errors import PayloadTooLarge, UnsupportedMediaType
from media_common.storage import ObjectStorage
from video_service.media_types import SNIFF_BYTES, sniff_video_type
from video_service.schemas import safe_filename

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    original_filename: str | None


class LimitedReader:
    """A read-only file wrapper that fails once more than `limit` bytes were read."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self.raw = raw
        self.limit = limit
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self.raw.read(size)
        self.count += len(chunk)
        if self.count > self.limit:
            raise PayloadTooLarge(f"The file is larger than {self.limit} bytes")
        return chunk


def object_key(company_id: int, extension: str) -> str:
    return f"videos/{company_id}/{uuid.uuid4().hex}.{extension}"


def _size_of(fileobj: BinaryIO) -> int:
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def store_upload(
    storage: ObjectStorage,
    company_id: int,
    fileobj: BinaryIO,
    filename: str | None,
    max_bytes: int,
) -> StoredObject:
    """Store the file under a fresh server-chosen key; nothing is left behind on failure."""
    head = fileobj.read(SNIFF_BYTES)
    video_type = sniff_video_type(head)
    if video_type is None:
        raise UnsupportedMediaType("The file is not an MP4, QuickTime, WebM or Matroska video")
    size = _size_of(fileobj)
    if size > max_bytes:
        raise PayloadTooLarge(f"The file is larger than {max_bytes} bytes")
    key = object_key(company_id, video_type.extension)
    name = safe_filename(filename)
    metadata = {"original-name": name} if name else {}
    reader = LimitedReader(fileobj, max_bytes)
    try:
        storage.put_stream(key, reader, size, video_type.content_type, metadata)
    except BaseException:
        discard_object(storage, key)
        raise
    return StoredObject(key, reader.count, video_type.content_type, name)


def discard_object(storage: ObjectStorage, key: str) -> None:
    """Best effort: what cannot be deleted now, the orphan sweeper removes later."""
    try:
        storage.delete(key)
    except Exception:
        logger.exception("could not delete object %s; the orphan sweeper will", key)
