"""Streaming: the Range fallback, the X-Accel answer (local and S3), playback tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests
from fastapi.testclient import TestClient
from video_testkit import Tenant, fixture_bytes

Upload = Callable[..., Any]
CONTENT = fixture_bytes("tiny.mp4") + bytes(range(256)) * 40  # ~13 KB, not all zeros
SIZE = len(CONTENT)


@pytest.fixture
def video(client: TestClient, tenant: Tenant, upload: Upload) -> int:
    response = upload(client, tenant.admin, CONTENT)
    assert response.status_code == 201
    return int(response.json()["id"])


def stream(client: TestClient, video_id: int, headers: dict[str, str], **extra: str) -> Any:
    return client.get(f"/api/v1/videos/{video_id}/stream", headers={**headers, **extra})


def test_full_get(client: TestClient, tenant: Tenant, video: int) -> None:
    response = stream(client, video, tenant.member)
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["content-type"] == "video/mp4"
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=100-999999", 100, SIZE - 1),
        (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
        ("bytes=-999999", 0, SIZE - 1),
        ("bytes=5-5", 5, 5),
        ("BYTES = 10 - 19", 10, 19),
    ],
)
def test_ranges(
    client: TestClient, tenant: Tenant, video: int, header: str, start: int, end: int
) -> None:
    response = stream(client, video, tenant.member, Range=header)
    assert response.status_code == 206, response.text
    assert response.content == CONTENT[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_unsatisfiable_range_is_416(
    client: TestClient, tenant: Tenant, video: int, header: str
) -> None:
    response = stream(client, video, tenant.member, Range=header)
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.json()["code"] == "RANGE_NOT_SATISFIABLE"


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-6", "items=0-5", "bytes=abc", "bytes=9-3", "bytes=-", ""]
)
def test_multiple_or_malformed_ranges_get_the_whole_file(
    client: TestClient, tenant: Tenant, video: int, header: str
) -> None:
    response = stream(client, video, tenant.member, Range=header)
    assert response.status_code == 200
    assert response.content == CONTENT


def test_head(client: TestClient, tenant: Tenant, video: int) -> None:
    url = f"/api/v1/videos/{video}/stream"
    response = client.head(url, headers=tenant.member)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["accept-ranges"] == "bytes"
    partial = client.head(url, headers={**tenant.member, "Range": "bytes=10-19"})
    assert partial.status_code == 206
    assert partial.headers["content-range"] == f"bytes 10-19/{SIZE}"
    assert partial.headers["content-length"] == "10"


def test_large_file_streams_in_chunks(client: TestClient, tenant: Tenant, upload: Upload) -> None:
    content = fixture_bytes("tiny.webm") + bytes(3 * 1024 * 1024 + 7)
    video_id = upload(client, tenant.admin, content).json()["id"]
    response = stream(client, video_id, tenant.member)
    assert response.content == content
    tail = stream(client, video_id, tenant.member, Range="bytes=-10")
    assert tail.content == content[-10:]


def test_stream_needs_credentials(client: TestClient, video: int) -> None:
    response = client.get(f"/api/v1/videos/{video}/stream")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_x_accel_answer_for_local_storage(client: TestClient, tenant: Tenant, video: int) -> None:
    response = stream(client, video, tenant.member, **{"X-Accel-Available": "1"})
    assert response.status_code == 200
    assert response.content == b""
    target = response.headers["x-accel-redirect"]
    assert target.startswith(f"/_protected/local/videos/{tenant.company_id}/")
    assert target.endswith(".mp4")
    assert "x-storage-url" not in response.headers
    head = client.head(
        f"/api/v1/videos/{video}/stream", headers={**tenant.member, "X-Accel-Available": "1"}
    )
    assert head.headers["x-accel-redirect"] == target


def test_x_accel_answer_for_s3_fetches_the_object(
    make_client: Callable[..., TestClient], tenant: Tenant, upload: Upload
) -> None:
    client = make_client("s3")
    video_id = upload(client, tenant.admin, CONTENT).json()["id"]
    response = stream(client, video_id, tenant.member, **{"X-Accel-Available": "1"})
    assert response.status_code == 200
    assert response.headers["x-accel-redirect"] == "/_protected/s3"
    url = response.headers["x-storage-url"]
    fetched = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert fetched.status_code == 206
    assert fetched.content == CONTENT[100:200]
    assert requests.get(url, timeout=10).content == CONTENT


def test_fallback_over_s3(
    make_client: Callable[..., TestClient], tenant: Tenant, upload: Upload
) -> None:
    client = make_client("s3")
    video_id = upload(client, tenant.admin, CONTENT).json()["id"]
    assert stream(client, video_id, tenant.member).content == CONTENT
    partial = stream(client, video_id, tenant.member, Range="bytes=-500")
    assert partial.status_code == 206 and partial.content == CONTENT[-500:]


def playback(client: TestClient, video_id: int, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"/api/v1/videos/{video_id}/playback", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_playback_url_streams_without_a_header(
    client: TestClient, tenant: Tenant, video: int
) -> None:
    issued = playback(client, video, tenant.member)
    assert issued["url"].startswith(f"/api/v1/videos/{video}/stream?token=")
    assert issued["expires_at"].endswith("+00:00")
    response = client.get(issued["url"])
    assert response.status_code == 200 and response.content == CONTENT
    partial = client.get(issued["url"], headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206 and partial.content == CONTENT[:10]
    assert client.head(issued["url"]).status_code == 200


def test_tampered_playback_token_is_401(client: TestClient, tenant: Tenant, video: int) -> None:
    url = playback(client, video, tenant.member)["url"]
    flipped = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    response = client.get(flipped)
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"
    assert client.get(f"/api/v1/videos/{video}/stream?token=garbage").status_code == 401
    forged = jwt.encode(
        {"sub": "1", "company_id": tenant.company_id, "video_id": video, "exp": 2**40,
         "aud": "video-playback"},
        "a-different-secret-of-enough-length",
        algorithm="HS256",
    )  # fmt: skip
    assert client.get(f"/api/v1/videos/{video}/stream?token={forged}").status_code == 401


def test_expired_playback_token_is_401(
    make_client: Callable[..., TestClient], tenant: Tenant, upload: Upload
) -> None:
    client = make_client(playback_token_ttl=1)
    video_id = upload(client, tenant.admin, CONTENT).json()["id"]
    url = playback(client, video_id, tenant.member)["url"]
    time.sleep(2.1)
    response = client.get(url)
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"


def test_playback_token_only_opens_its_own_video(
    client: TestClient, tenant: Tenant, video: int, upload: Upload
) -> None:
    other = upload(client, tenant.admin, CONTENT).json()["id"]
    token = playback(client, video, tenant.member)["url"].split("token=", 1)[1]
    response = client.get(f"/api/v1/videos/{other}/stream?token={token}")
    assert response.status_code == 401


def test_playback_token_stops_working_when_the_video_is_deleted(
    client: TestClient, tenant: Tenant, video: int
) -> None:
    url = playback(client, video, tenant.member)["url"]
    client.delete(f"/api/v1/videos/{video}", headers=tenant.admin)
    assert client.get(url).status_code == 404
    assert client.post(f"/api/v1/videos/{video}/playback", headers=tenant.member).status_code == 404


def test_access_token_in_query_is_not_a_playback_token(
    client: TestClient, tenant: Tenant, video: int
) -> None:
    access = tenant.member["Authorization"].split(" ", 1)[1]
    assert client.get(f"/api/v1/videos/{video}/stream?token={access}").status_code == 401
