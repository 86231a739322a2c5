"""Uploads: real videos on both backends, disguised files, hostile names, validation."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from video_testkit import Tenant, fixture_bytes, stored_keys

HTML = b"<!DOCTYPE html><html><body><video src=x></video></body></html>" * 10
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + os.urandom(2000)
FAKE_FTYP = b"\x00\x00\x00\x18ftypzzzz\x00\x00\x00\x00zzzzyyyy" + bytes(100)


@pytest.mark.parametrize("backend", ["local", "s3"])
@pytest.mark.parametrize(
    ("fixture", "content_type", "ext"),
    [
        ("tiny.mp4", "video/mp4", "mp4"),
        ("tiny.webm", "video/webm", "webm"),
        ("tiny.mov", "video/quicktime", "mov"),
        ("tiny.mkv", "video/x-matroska", "mkv"),
    ],
)
def test_real_videos_are_stored_with_a_server_key(
    make_client: Callable[..., TestClient],
    tenant: Tenant,
    upload: Callable[..., Any],
    backend: str,
    fixture: str,
    content_type: str,
    ext: str,
) -> None:
    client = make_client(backend)
    content = fixture_bytes(fixture)
    # The declared name and type are ignored: only the bytes count.
    response = upload(client, tenant.admin, content, filename="upload.bin", description="Hi")
    assert response.status_code == 201, response.text
    video = response.json()
    assert video["content_type"] == content_type
    assert video["size_bytes"] == len(content)
    assert video["company_id"] == tenant.company_id
    assert video["description"] == "Hi"
    assert video["deleted_at"] is None
    assert video["created_at"].endswith("+00:00")
    keys = stored_keys(client)
    assert len(keys) == 1
    assert keys[0].startswith(f"videos/{tenant.company_id}/") and keys[0].endswith(f".{ext}")
    storage = client.app.state.runtime.storage  # type: ignore[attr-defined]
    assert b"".join(storage.open_range(keys[0], 0, len(content) - 1)) == content


@pytest.mark.parametrize("backend", ["local", "s3"])
@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (HTML, "page.mp4"),
        (ELF, "movie.mp4"),
        (os.urandom(4096), "random.mp4"),
        (FAKE_FTYP, "fake.mov"),
        (b"\x1a\x45\xdf\xa3\x84\x42\x82\x81x" + bytes(50), "odd.webm"),
        (b"", "empty.mp4"),
    ],
)
def test_disguised_files_are_refused_and_nothing_stored(
    make_client: Callable[..., TestClient],
    tenant: Tenant,
    upload: Callable[..., Any],
    backend: str,
    content: bytes,
    filename: str,
) -> None:
    client = make_client(backend)
    response = upload(client, tenant.admin, content, filename=filename)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert stored_keys(client) == []
    assert client.get("/api/v1/videos", headers=tenant.admin).json()["total"] == 0


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.mp4", "passwd.mp4"),
        ("..\\..\\windows\\evil.mp4", "evil.mp4"),
        ("Ünïcødé 🎬 фильм.mp4", "Ünïcødé 🎬 фильм.mp4"),
        ("x" * 1000 + ".mp4", "x" * 255),
        ("bad\x00name\x1b.mp4", "bad%00name.mp4"),  # httpx escapes NUL; ESC is dropped
        ("...", None),
    ],
)
def test_hostile_filenames_are_stored_safely(
    client: TestClient,
    tenant: Tenant,
    upload: Callable[..., Any],
    tmp_path: Path,
    filename: str,
    expected: str | None,
) -> None:
    response = upload(client, tenant.admin, fixture_bytes("tiny.mp4"), filename=filename)
    assert response.status_code == 201, response.text
    assert response.json()["original_filename"] == expected
    keys = stored_keys(client)
    assert len(keys) == 1 and keys[0].startswith(f"videos/{tenant.company_id}/")
    root = tmp_path / "videos"
    assert all(p.resolve().is_relative_to(root) for p in root.rglob("*"))
    assert not (tmp_path / "etc").exists()


def test_hostile_filename_on_s3_keeps_metadata_ascii(
    make_client: Callable[..., TestClient], tenant: Tenant, upload: Callable[..., Any]
) -> None:
    client = make_client("s3")
    response = upload(client, tenant.admin, fixture_bytes("tiny.webm"), filename="é🎬.webm")
    assert response.status_code == 201, response.text
    assert response.json()["original_filename"] == "é🎬.webm"


@pytest.mark.parametrize(
    ("title", "description", "content", "where"),
    [
        (None, None, "tiny.mp4", "title"),
        ("   ", None, "tiny.mp4", "title"),
        ("x" * 201, None, "tiny.mp4", "title"),
        ("bad\x07title", None, "tiny.mp4", "title"),
        ("ok", "d" * 5001, "tiny.mp4", "description"),
        ("ok", None, None, "file"),
    ],
)
def test_upload_validation_is_422(
    client: TestClient,
    tenant: Tenant,
    upload: Callable[..., Any],
    title: str | None,
    description: str | None,
    content: str | None,
    where: str,
) -> None:
    body = fixture_bytes(content) if content else None
    response = upload(client, tenant.admin, body, title=title, description=description)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == "VALIDATION_ERROR"
    assert any(where in detail["loc"] for detail in error["details"])
    assert stored_keys(client) == []


def test_file_sent_as_plain_field_is_422(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/api/v1/videos", headers=tenant.admin, data={"title": "t", "file": "not a file"}
    )
    assert response.status_code == 422


def test_title_is_normalised(
    client: TestClient, tenant: Tenant, upload: Callable[..., Any]
) -> None:
    response = upload(client, tenant.admin, fixture_bytes("tiny.mp4"), title="  Cafe\u0301  ")
    assert response.status_code == 201
    assert response.json()["title"] == "Café"


def test_members_and_anonymous_cannot_upload(
    client: TestClient, tenant: Tenant, upload: Callable[..., Any]
) -> None:
    assert upload(client, tenant.member, fixture_bytes("tiny.mp4")).status_code == 403
    response = upload(client, {}, fixture_bytes("tiny.mp4"))
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert stored_keys(client) == []


def test_json_body_instead_of_a_form_is_422(client: TestClient, tenant: Tenant) -> None:
    response = client.post("/api/v1/videos", headers=tenant.admin, json={"title": "x"})
    assert response.status_code == 422
    locs = [detail["loc"][-1] for detail in response.json()["details"]]
    assert sorted(locs) == ["file", "title"]
