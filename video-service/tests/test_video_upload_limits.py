"""Uploads that must leave nothing behind: too large, malformed, failing after the write."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from video_testkit import Tenant, fixture_bytes, sibling_client, stored_keys

HTML = b"<!DOCTYPE html><html><body><video src=x></video></body></html>" * 10
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + os.urandom(2000)
FAKE_FTYP = b"\x00\x00\x00\x18ftypzzzz\x00\x00\x00\x00zzzzyyyy" + bytes(100)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_oversize_upload_is_413_and_nothing_stored(
    make_client: Callable[..., TestClient],
    tenant: Tenant,
    upload: Callable[..., Any],
    backend: str,
) -> None:
    client = make_client(backend, max_upload_mb=1)
    content = fixture_bytes("tiny.mp4") + bytes(2 * 1024 * 1024)
    response = upload(client, tenant.admin, content)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_keys(client) == []


def test_file_over_the_limit_within_the_form_allowance_is_413(
    make_client: Callable[..., TestClient], tenant: Tenant, upload: Callable[..., Any]
) -> None:
    """The body limit leaves room for form fields; the copy itself still counts bytes."""
    client = make_client(max_upload_mb=1)
    content = fixture_bytes("tiny.mp4") + bytes(1024 * 1024)
    response = upload(client, tenant.admin, content)
    assert response.status_code == 413
    assert stored_keys(client) == []


def test_oversize_chunked_body_without_content_length_is_413(
    make_client: Callable[..., TestClient], tenant: Tenant
) -> None:
    client = make_client(max_upload_mb=1)
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nT\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()

    def body() -> Any:
        yield head + fixture_bytes("tiny.mp4")
        for _ in range(3):
            yield bytes(1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/api/v1/videos",
        headers={**tenant.admin, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body(),
    )
    assert response.status_code == 413
    assert stored_keys(client) == []


def test_malformed_multipart_is_400_and_nothing_stored(
    client: TestClient, tenant: Tenant, upload: Callable[..., Any]
) -> None:
    mp4 = fixture_bytes("tiny.mp4")
    two_files = client.post(
        "/api/v1/videos",
        headers=tenant.admin,
        data={"title": "t"},
        files=[("file", ("a.mp4", mp4)), ("file", ("b.mp4", mp4))],
    )
    no_boundary = client.post(
        "/api/v1/videos",
        headers={**tenant.admin, "Content-Type": "multipart/form-data"},
        content=b"--x\r\n",
    )
    huge_field = upload(client, tenant.admin, mp4, description="d" * 100_000)
    for response in (two_files, no_boundary, huge_field):
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "BAD_REQUEST"
    assert stored_keys(client) == []


def test_failure_after_storing_deletes_the_object(
    client: TestClient,
    tenant: Tenant,
    upload: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from video_service import videos

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(videos, "create_video", broken)
    failing = sibling_client(client, raise_server_exceptions=False)
    response = upload(failing, tenant.admin, fixture_bytes("tiny.mp4"))
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL"
    assert stored_keys(client) == []


def test_failing_commit_deletes_the_object(
    client: TestClient, tenant: Tenant, upload: Callable[..., Any]
) -> None:
    class FailingCommit(AsyncSession):
        async def commit(self) -> None:
            raise OperationalError("COMMIT", {}, Exception("connection lost"))

    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    runtime.db.sessionmaker = async_sessionmaker(runtime.db.engine, class_=FailingCommit)
    failing = sibling_client(client, raise_server_exceptions=False)
    response = upload(failing, tenant.admin, fixture_bytes("tiny.mp4"))
    assert response.status_code == 500
    assert stored_keys(client) == []
