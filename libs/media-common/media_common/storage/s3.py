"""Objects in an S3-compatible bucket (MinIO in the stack) through the `minio` client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from minio import Minio
from minio.error import S3Error
from urllib3 import BaseHTTPResponse

from media_common.storage.base import CHUNK_SIZE, ObjectStat, Readable, validate_key

ACCEL_PATH = "/_protected/s3"
PART_SIZE = 16 * 1024 * 1024
READ_LOCATION_TTL = timedelta(hours=6)
_MISSING = {"NoSuchKey", "NoSuchObject", "ResourceNotFound", "NoSuchBucket"}


def _stream_body(response: BaseHTTPResponse) -> Iterator[bytes]:
    try:
        yield from response.stream(CHUNK_SIZE)
    finally:
        response.close()
        response.release_conn()


class S3Storage:
    """Streams uploads as multipart (16 MiB parts, one at a time: memory stays bounded)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        presign_ttl: timedelta = timedelta(minutes=5),
    ) -> None:
        self.bucket = bucket
        self.presign_ttl = presign_ttl
        self.client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
        )
        if not self.client.bucket_exists(bucket):
            with contextlib.suppress(S3Error):  # another replica created it meanwhile
                self.client.make_bucket(bucket, location=region)

    def put_stream(
        self,
        key: str,
        fileobj: Readable,
        size: int | None,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        # S3 metadata travels in HTTP headers, which must be ASCII: percent-encode values.
        headers: dict[str, str | list[str] | tuple[str]] = {
            name: quote(value, safe="") for name, value in (metadata or {}).items()
        }
        self.client.put_object(
            self.bucket,
            validate_key(key),
            fileobj,  # type: ignore[arg-type]  # minio only calls read(); typed as BinaryIO
            length=-1 if size is None else size,
            content_type=content_type,
            metadata=headers or None,
            part_size=PART_SIZE,
            num_parallel_uploads=1,
        )

    def stat(self, key: str) -> ObjectStat | None:
        try:
            info = self.client.stat_object(self.bucket, validate_key(key))
        except S3Error as exc:
            if exc.code in _MISSING:
                return None
            raise
        return ObjectStat(info.size or 0, info.content_type or "application/octet-stream")

    def delete(self, key: str) -> None:
        # S3 DELETE of a missing key succeeds, which is the contract here too.
        self.client.remove_object(self.bucket, validate_key(key))

    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        # Requested now, not on first iteration: errors surface before a response starts.
        response = self.client.get_object(
            self.bucket, validate_key(key), offset=start, length=end - start + 1
        )
        return _stream_body(response)

    def list_keys(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
            if obj.object_name is None:
                continue
            modified = obj.last_modified or datetime.now(UTC)
            yield obj.object_name, modified

    def presigned_url(self, key: str) -> str:
        return self.client.presigned_get_object(
            self.bucket, validate_key(key), expires=self.presign_ttl
        )

    def accel_target(self, key: str) -> tuple[str, dict[str, str]]:
        return ACCEL_PATH, {"X-Storage-Url": self.presigned_url(key)}

    def read_location(self, key: str) -> str:
        # Long enough for a transcode that reopens the URL to seek (mp4 index at the end).
        return self.client.presigned_get_object(
            self.bucket, validate_key(key), expires=READ_LOCATION_TTL
        )
