"""Playback ?token= values never reach the gateway's logs, on success and on every error
path of the playback locations, while the same logs do record request lines and paths
(so these tests would see a token that got in)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import requests

from tests.gateway.conftest import Gateway
from tests.gateway.rawhttp import request


def wait_for_text(path: Path, text: str, timeout: float = 10.0) -> str:
    """The file's content once `text` is in it (nginx writes a log line as it goes)."""
    deadline = time.monotonic() + timeout
    while True:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content or time.monotonic() > deadline:
            assert text in content, f"{text!r} never reached {path}"
            return content
        time.sleep(0.05)


def test_playback_tokens_stay_out_of_the_gateway_logs(
    gateway: Gateway, dead_gateway: Gateway, http: requests.Session
) -> None:
    token = "tok" + secrets.token_hex(16)
    query = f"?token={token}"
    answers = {
        "/api/v1/videos/1/stream": 200,  # local file
        "/api/v1/videos/2/stream": 200,  # S3
        "/api/v1/videos/3/stream": 404,  # local file missing
        "/api/v1/videos/4/stream": 404,  # S3 object missing
        "/api/v1/videos/5/stream": 404,  # a folder in storage
        "/api/v1/videos/6/stream": 502,  # the store redirects
        "/api/v1/videos/8/stream": 502,  # the store is down (connect() fails)
    }
    for path, status in answers.items():
        assert http.get(gateway.url + path + query).status_code == status, path
        assert http.head(gateway.url + path + query).status_code == status, path
        ranged = http.get(gateway.url + path + query, headers={"Range": "bytes=999999-"})
        assert ranged.status_code == (416 if status == 200 else status), path
    for target, status in (
        (b"/api/v1/videos/1/%zz/stream", 400),
        (b"/api/v1/videos/1/stream?" + b"a" * 17_000, 414),
    ):
        assert request(gateway.url, target + query.encode()).status == status
    too_big = request(gateway.url, query.encode(), headers=[(b"X-Big", b"a" * 17_000)])
    assert too_big.status == 400  # the request line itself is not "/..."
    header_heavy = request(
        gateway.url, b"/api/v1/videos/1/stream" + query.encode(), headers=[(b"X", b"a" * 17_000)]
    )
    assert header_heavy.status == 431
    assert request(gateway.url, b"/x" + query.encode(), version=b"HTTP/2.0").status == 505
    # the video service down: nginx's connect() error would quote the request line
    assert http.get(f"{dead_gateway.url}/api/v1/videos/7/stream{query}").status_code == 502

    # Controls, last: the error log quotes request lines with their query, and the access
    # log records paths. Once these lines are there, so is everything logged before them.
    probe = "probe" + secrets.token_hex(8)
    assert http.get(f"{dead_gateway.url}/api/v1/users/me?probe={probe}").status_code == 502
    assert http.get(f"{gateway.url}/healthz-{probe}").status_code == 404
    dead_error = wait_for_text(dead_gateway.error_log, probe)
    access = wait_for_text(gateway.access_log, f"/healthz-{probe}")
    dead_access = wait_for_text(dead_gateway.access_log, "/api/v1/users/me")
    assert "/api/v1/videos/6/stream" in access
    for name, content in {
        "access log": access,
        "error log": gateway.error_log.read_text(errors="replace"),
        "dead gateway's access log": dead_access,
        "dead gateway's error log": dead_error,
    }.items():
        assert token not in content, name
