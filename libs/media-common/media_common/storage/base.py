"""The storage interface shared by every backend."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import NamedTuple, Protocol

from pydantic import SecretStr

CHUNK_SIZE = 1024 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class Readable(Protocol):
    """Anything with `read(size)`: a file, a spooled upload, a counting wrapper."""

    def read(self, size: int = -1, /) -> bytes: ...


class ObjectStat(NamedTuple):
    size: int
    content_type: str


def validate_key(key: str) -> str:
    """Accept only plain relative keys (`videos/7/ab12.mp4`): no `..`, no leading `/` or `.`."""
    if len(key) > 512 or not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid object key: {key!r}")
    return key


class ObjectStorage(Protocol):
    """Where video bytes live. Every method is blocking (call it from sync code)."""

    def put_stream(
        self,
        key: str,
        fileobj: Readable,
        size: int | None,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Store `fileobj` under `key`, reading it in chunks; `size` None means unknown.

        The object appears only once complete; a failure leaves nothing under `key`.
        """
        ...

    def stat(self, key: str) -> ObjectStat | None:
        """Size and content type of the object, or None when it does not exist."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""
        ...

    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes `start..end` (both inclusive) in chunks of at most 1 MiB."""
        ...

    def list_keys(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """Every key under `prefix` with its last-modified time (timezone-aware)."""
        ...

    def accel_target(self, key: str) -> tuple[str, dict[str, str]]:
        """Where the gateway should fetch the bytes from: (X-Accel-Redirect path, headers)."""
        ...

    def read_location(self, key: str) -> str:
        """A file path or URL that a program such as ffmpeg can read the object from."""
        ...


class StorageConfig(Protocol):
    """The settings fields `storage_from_settings` reads (a service's Settings has them)."""

    storage_backend: str
    storage_dir: str
    s3_endpoint: str
    s3_access_key: SecretStr
    s3_secret_key: SecretStr
    s3_bucket: str
    s3_secure: bool
    s3_region: str
