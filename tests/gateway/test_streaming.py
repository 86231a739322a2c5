"""Video streaming through the gateway (X-Accel-Redirect to local files and to S3),
checked on real nginx: whole files, ranges, HEAD, hidden internal headers, missing objects."""

from __future__ import annotations

import time

import pytest
import requests

from tests.gateway.assertions import assert_json_error
from tests.gateway.conftest import S3_BYTES, VIDEO_BYTES, Gateway, Upstreams

INTERNAL_HEADERS = ("x-accel-redirect", "x-storage-url", "x-accel-buffering", "x-powered-by")


def assert_no_internal_headers(resp: requests.Response) -> None:
    lowered = {k.lower() for k in resp.headers}
    for name in INTERNAL_HEADERS:
        assert name not in lowered, name
    assert not [k for k in lowered if k.startswith(("x-amz", "x-minio"))], resp.headers
    assert "access-control-allow-origin" not in lowered
    assert resp.headers.get("Server") == "nginx"
    assert resp.raw.headers.getlist("X-Request-ID") == [resp.headers["X-Request-ID"]]


STREAMS = {
    "local": ("/api/v1/videos/1/stream", VIDEO_BYTES),
    "s3": ("/api/v1/videos/2/stream", S3_BYTES),
}


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_stream_whole_file(gateway: Gateway, http: requests.Session, backend: str) -> None:
    path, data = STREAMS[backend]
    resp = http.get(gateway.url + path, headers={"Authorization": "Bearer secret-token"})
    assert resp.status_code == 200
    assert resp.content == data
    assert resp.headers["Content-Length"] == str(len(data))
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers["Content-Type"] in ("video/webm", "video/mp4")
    assert_no_internal_headers(resp)


@pytest.mark.parametrize("backend", ["local", "s3"])
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, None),
        ("bytes=-500", -500, None),
        ("bytes=9990-999999", 9990, None),
        ("bytes=0-0", 0, 0),
    ],
)
def test_stream_ranges(
    gateway: Gateway,
    http: requests.Session,
    backend: str,
    header: str,
    first: int,
    last: int | None,
) -> None:
    path, data = STREAMS[backend]
    size = len(data)
    start = size + first if first < 0 else first
    end = size - 1 if last is None else last
    resp = http.get(gateway.url + path, headers={"Range": header})
    assert resp.status_code == 206, resp.text
    assert resp.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert resp.headers["Content-Length"] == str(end - start + 1)
    assert resp.content == data[start : end + 1]
    assert_no_internal_headers(resp)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_stream_unsatisfiable_range_is_416(
    gateway: Gateway, http: requests.Session, backend: str
) -> None:
    path, data = STREAMS[backend]
    resp = http.get(gateway.url + path, headers={"Range": f"bytes={len(data) + 10}-"})
    assert_json_error(resp, 416, "RANGE_NOT_SATISFIABLE")
    assert resp.headers["Content-Range"] == f"bytes */{len(data)}"
    assert_no_internal_headers(resp)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_stream_head(gateway: Gateway, http: requests.Session, backend: str) -> None:
    path, data = STREAMS[backend]
    resp = http.head(gateway.url + path)
    assert resp.status_code == 200
    assert resp.headers["Content-Length"] == str(len(data))
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.content == b""
    assert_no_internal_headers(resp)
    ranged = http.head(gateway.url + path, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.headers["Content-Range"] == f"bytes 0-99/{len(data)}"


def test_s3_request_carries_range_but_no_client_credentials(
    gateway: Gateway, http: requests.Session, upstreams: Upstreams
) -> None:
    before = len(upstreams.s3_seen.requests)
    http.head(
        f"{gateway.url}/api/v1/videos/2/stream",
        headers={"Authorization": "Bearer secret-token", "Cookie": "a=b", "Range": "bytes=5-9"},
    )
    time.sleep(0.05)
    got = upstreams.s3_seen.requests[before]
    assert got["method"] == "GET"  # presigned for GET; HEAD is answered from its headers
    assert got["path"].startswith("/bucket/obj?X-Amz-Algorithm=")
    assert got["headers"]["range"] == "bytes=5-9"
    assert got["headers"]["host"] == f"127.0.0.1:{upstreams.s3_port}"
    for name in ("authorization", "cookie", "x-request-id", "x-forwarded-for"):
        assert name not in got["headers"], name


def test_stream_of_missing_object_is_json_404(gateway: Gateway, http: requests.Session) -> None:
    for path in ("/api/v1/videos/3/stream", "/api/v1/videos/4/stream"):
        resp = http.get(gateway.url + path, headers={"X-Request-ID": "gone-1"})
        body = assert_json_error(resp, 404, "NOT_FOUND")
        assert body["request_id"] == "gone-1"


@pytest.mark.parametrize("backend", ["local", "s3"])
@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=0-0, -1", "bytes=10-20,0-5,30-40"])
def test_several_ranges_get_the_whole_file(
    gateway: Gateway, http: requests.Session, upstreams: Upstreams, backend: str, header: str
) -> None:
    """Several ranges: 200 and the whole file, exactly as without a Range header."""
    path, data = STREAMS[backend]
    plain = http.get(gateway.url + path)
    before = len(upstreams.s3_seen.requests)
    resp = http.get(gateway.url + path, headers={"Range": header, "If-Range": '"abc"'})
    assert resp.status_code == 200, resp.status_code
    assert resp.content == data
    assert "Content-Range" not in resp.headers
    for name in ("Content-Type", "Content-Length", "Accept-Ranges"):
        assert resp.headers[name] == plain.headers[name], name
    assert_no_internal_headers(resp)
    if backend == "s3":  # the store is asked for the whole object
        sent = upstreams.s3_seen.requests[before]["headers"]
        assert "range" not in sent and "if-range" not in sent, sent
    head = http.head(gateway.url + path, headers={"Range": header})
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(data))
