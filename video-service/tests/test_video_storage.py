"""The storage backends of media_common, against a folder and a real S3 HTTP server (moto)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from pydantic import SecretStr

from media_common.storage import LocalStorage, ObjectStorage, storage_from_settings, validate_key
from media_common.storage.s3 import PART_SIZE, S3Storage

DATA = os.urandom(300_000)


class _Unsized(io.RawIOBase):
    """A stream of unknown length (no seek, no len): like a network body."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        return self._buf.read(size)


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStorage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "objects")
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    yield S3Storage(endpoint, "testing", "testing", f"b-{uuid.uuid4().hex[:12]}")


def test_put_stat_read_delete(storage: ObjectStorage) -> None:
    key = "videos/1/a.mp4"
    assert storage.stat(key) is None
    storage.put_stream(key, io.BytesIO(DATA), len(DATA), "video/mp4", {"original-filename": "é"})
    stat = storage.stat(key)
    assert stat is not None and stat.size == len(DATA) and stat.content_type == "video/mp4"
    assert b"".join(storage.open_range(key, 0, len(DATA) - 1)) == DATA
    assert b"".join(storage.open_range(key, 1000, 1999)) == DATA[1000:2000]
    assert b"".join(storage.open_range(key, len(DATA) - 5, len(DATA) - 1)) == DATA[-5:]
    storage.delete(key)
    assert storage.stat(key) is None
    storage.delete(key)  # a missing object is not an error


def test_unknown_size_is_streamed(storage: ObjectStorage) -> None:
    storage.put_stream("videos/2/b.webm", _Unsized(DATA), None, "video/webm")
    assert b"".join(storage.open_range("videos/2/b.webm", 0, len(DATA) - 1)) == DATA


def test_list_keys_by_prefix(storage: ObjectStorage) -> None:
    for key in ("videos/1/a.mp4", "videos/2/b.mp4", "other/c.mp4"):
        storage.put_stream(key, io.BytesIO(b"x"), 1, "video/mp4")
    listed = dict(storage.list_keys("videos/"))
    assert sorted(listed) == ["videos/1/a.mp4", "videos/2/b.mp4"]
    now = datetime.now(UTC)
    assert all(
        now - timedelta(minutes=5) < t <= now + timedelta(minutes=5) for t in listed.values()
    )


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs/path.mp4", "videos/../../x", "videos/.hidden", "", "a//b", "é/x"]
)
def test_hostile_keys_are_refused(storage: ObjectStorage, key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        storage.put_stream(key, io.BytesIO(b"x"), 1, "video/mp4")
    with pytest.raises(ValueError):
        validate_key(key)


def test_failed_write_leaves_nothing(storage: ObjectStorage) -> None:
    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def read(self, size: int = -1, /) -> bytes:
            if self.sent > 2 * 1024 * 1024:
                raise OSError("client went away")
            self.sent += 1024 * 1024
            return bytes(1024 * 1024)

    with pytest.raises(OSError, match="client went away"):
        storage.put_stream("videos/3/c.mp4", Broken(), None, "video/mp4")
    assert storage.stat("videos/3/c.mp4") is None
    assert list(storage.list_keys("videos/")) == []


def test_local_write_is_atomic_and_accel_target(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put_stream("videos/9/v.mp4", io.BytesIO(DATA), len(DATA), "video/mp4")
    assert (tmp_path / "videos/9/v.mp4").read_bytes() == DATA
    assert [p.name for p in (tmp_path / "videos/9").iterdir()] == ["v.mp4"]
    assert storage.accel_target("videos/9/v.mp4") == ("/_protected/local/videos/9/v.mp4", {})


def test_s3_multipart_upload_and_presigned_range(moto_endpoint: str) -> None:
    storage = S3Storage(moto_endpoint, "testing", "testing", f"b-{uuid.uuid4().hex[:12]}")
    big = os.urandom(PART_SIZE + 1234)  # more than one part
    storage.put_stream("videos/5/big.mp4", _Unsized(big), None, "video/mp4")
    stat = storage.stat("videos/5/big.mp4")
    assert stat is not None and stat.size == len(big)
    path, headers = storage.accel_target("videos/5/big.mp4")
    assert path == "/_protected/s3"
    url = headers["X-Storage-Url"]
    assert "X-Amz-Expires=300" in url
    response = requests.get(
        url, headers={"Range": f"bytes={PART_SIZE - 10}-{PART_SIZE + 9}"}, timeout=10
    )
    assert response.status_code == 206
    assert response.content == big[PART_SIZE - 10 : PART_SIZE + 10]


def test_s3_bucket_is_created_once(moto_endpoint: str) -> None:
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    S3Storage(moto_endpoint, "testing", "testing", bucket)
    S3Storage(moto_endpoint, "testing", "testing", bucket)  # exists already: fine


def test_factory(tmp_path: Path, moto_endpoint: str) -> None:
    config = SimpleNamespace(
        storage_backend="local", storage_dir=str(tmp_path), s3_endpoint="",
        s3_access_key=SecretStr("testing"), s3_secret_key=SecretStr("testing"),
        s3_bucket="videos-factory", s3_secure=False, s3_region="us-east-1",
    )  # fmt: skip
    assert isinstance(storage_from_settings(config), LocalStorage)
    config.storage_backend = "s3"
    with pytest.raises(ValueError, match="S3_ENDPOINT"):
        storage_from_settings(config)
    config.s3_endpoint = moto_endpoint
    assert isinstance(storage_from_settings(config), S3Storage)
    config.storage_backend = "ftp"
    with pytest.raises(ValueError, match="unknown STORAGE_BACKEND"):
        storage_from_settings(config)
