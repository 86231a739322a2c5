"""Playback tokens never reach a log of the running stack: gateway access and error logs and
every service's log, after playback requests that succeed and ones that fail."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.gateway import rawhttp
from tests.support.client import Api
from tests.support.stack import Stack


def wait_until_logged(api: Api, stack: Stack, timeout: float = 20.0) -> None:
    """Every video-service replica and the gateway have written a line for a probe request
    sent after everything else (each log is written in order)."""
    logs = stack.directory / "logs"
    deadline = time.monotonic() + timeout
    while True:
        probe = "probe-" + secrets.token_hex(6)
        api.get(f"/api/v1/videos/{probe}")
        replicas = sorted(logs.glob("video-service-[0-9]*.log"))
        targets = [*replicas, logs / "gateway-access.log"]
        if replicas and all(probe_in(path) for path in targets):
            return
        assert time.monotonic() < deadline, "probe lines never reached every log"
        time.sleep(0.1)


def probe_in(path: Path) -> bool:
    return path.exists() and "/api/v1/videos/probe-" in path.read_text(errors="replace")


def test_playback_tokens_reach_no_log(api: Api, stack: Stack) -> None:
    _company, admin = api.company_with_admin()
    video = api.upload(admin)
    vid = video["id"]
    play = api.post(f"/api/v1/videos/{vid}/playback", headers=admin.headers)
    assert play.status_code == 200, play.text
    url = play.json()["url"]
    token = parse_qs(urlsplit(url).query)["token"][0]
    full = url if url.startswith("http") else api.base + url
    path = urlsplit(full).path

    assert api.http.get(full, timeout=30).status_code == 200
    assert api.http.get(full, headers={"Range": "bytes=0-9"}, timeout=30).status_code == 206
    assert api.http.get(full, headers={"Range": "bytes=0-1,4-6"}, timeout=30).status_code == 200
    assert api.http.head(full, timeout=30).status_code == 200
    assert api.http.get(full, headers={"Range": "bytes=99999999-"}, timeout=30).status_code == 416
    forged = api.base + path + "?token=" + token[:-4] + "AAAA"
    assert api.http.get(forged, timeout=30).status_code == 401
    for other in ("thumbnail", "nope"):
        resp = api.get(f"/api/v1/videos/{vid}/{other}?token={token}")
        assert 400 <= resp.status_code < 500, (other, resp.status_code)
    malformed = f"/api/v1/videos/{vid}%zz/stream?token={token}".encode()
    assert rawhttp.request(api.base, malformed).status == 400  # requests would re-quote it
    assert api.get(f"/api/v1/videos/999999999/stream?token={token}").status_code in (401, 404)
    deleted = api.request("DELETE", f"/api/v1/videos/{vid}", headers=admin.headers)
    assert deleted.status_code == 204
    assert api.http.get(full, timeout=30).status_code in (401, 404)

    wait_until_logged(api, stack)
    logs = sorted((stack.directory / "logs").glob("*.log"))
    assert any(log.name.startswith("video-service") for log in logs)
    for log in logs:
        assert token not in log.read_text(errors="replace"), log.name
        # nor its signature alone (the part after the last dot, if it has one)
        assert token.rsplit(".", 1)[-1] not in log.read_text(errors="replace"), log.name
