"""Points exactly once, on the real stack with two replicas per service."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.client import Api, Member
from tests.support.stack import Stack


def _wait_points(api: Api, member: Member, expected: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    points = api.points(member)
    while points < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        points = api.points(member)
    # Linger a moment: a doubled credit would show up now.
    time.sleep(0.5)
    return api.points(member)


def _hammer(api: Api, member: Member, video_ids: list[int], times: int, workers: int = 32) -> None:
    urls = [f"{api.base}/api/v1/videos/{vid}/stream" for vid in video_ids for _ in range(times)]

    def hit(url: str) -> int:
        resp = requests.get(url, headers={**member.headers, "Range": "bytes=0-1"}, timeout=60)
        return resp.status_code

    with ThreadPoolExecutor(max_workers=workers) as pool:
        codes = list(pool.map(hit, urls))
    assert set(codes) == {206}, codes


def test_64_concurrent_first_streams_credit_once(api: Api) -> None:
    _, admin = api.company_with_admin()
    video = api.upload(admin)
    _hammer(api, admin, [video["id"]], times=64, workers=64)
    assert _wait_points(api, admin, 10) == 10
    ledger = api.get("/api/v1/users/me/points", headers=admin.headers).json()
    assert ledger["balance"] == 10
    assert ledger["total"] == 1


def test_20_videos_streamed_concurrently_credit_exactly_200(api: Api) -> None:
    _, admin = api.company_with_admin()
    videos = [api.upload(admin, title=f"v{i}")["id"] for i in range(20)]
    _hammer(api, admin, videos, times=5)
    assert _wait_points(api, admin, 200) == 200
    ledger = api.get("/api/v1/users/me/points?limit=100", headers=admin.headers).json()
    assert ledger["total"] == 20
    assert sum(item["amount"] for item in ledger["items"]) == ledger["balance"] == 200


def test_credit_lands_once_after_user_service_outage(api: Api, stack: Stack) -> None:
    company, admin = api.company_with_admin()
    member = api.member(company["id"])
    videos = [api.upload(admin, title=f"o{i}")["id"] for i in range(3)]
    stack.stop("user-service")
    try:
        _hammer(api, member, videos, times=4, workers=12)
    finally:
        stack.start("user-service")
    assert _wait_points(api, member, 30, timeout=45) == 30


def test_credit_survives_video_service_kill(api: Api, stack: Stack) -> None:
    company, admin = api.company_with_admin()
    member = api.member(company["id"])
    video = api.upload(admin)
    stack.stop("user-service")
    try:
        _hammer(api, member, [video["id"]], times=3, workers=3)
        stack.kill("video-service")  # committed outbox row, never delivered
    finally:
        stack.start("user-service")
        stack.start("video-service")
    assert _wait_points(api, member, 10, timeout=45) == 10


def test_internal_endpoint_races_lose_nothing_and_double_nothing(api: Api, stack: Stack) -> None:
    _company, admin = api.company_with_admin()
    # Straight at the user-service replicas (the gateway hides /internal).
    urls = [
        f"{base}/internal/v1/users/{admin.id}/points"
        for base in stack.info["services"]["user-service"]["urls"]
    ]
    headers = {"Authorization": f"Bearer {stack.secret('internal_token')}"}
    conflicts = 0

    def credit(key: str) -> int:
        nonlocal conflicts
        body = {"amount": 1, "reason": "test", "reference": key}
        for attempt in range(500):
            url = urls[(hash(key) + attempt) % len(urls)]
            resp = requests.post(
                url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=30
            )
            if resp.status_code == 409:
                assert resp.json()["code"] == "LOCK_CONFLICT"
                assert resp.headers.get("Retry-After")
                conflicts += 1
                time.sleep(0.002)
                continue
            return resp.status_code
        raise AssertionError("never credited")

    keys = [f"race-{uuid.uuid4().hex}" for _ in range(300)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        codes = list(pool.map(credit, keys))
    assert codes.count(201) == 300
    assert conflicts > 0, "the NOWAIT path was never exercised"

    same = f"same-{uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=32) as pool:
        replays = list(pool.map(credit, [same] * 64))
    assert replays.count(201) == 1
    assert replays.count(200) == 63
    ledger = api.get("/api/v1/users/me/points?limit=1", headers=admin.headers).json()
    assert ledger["balance"] == 301
    assert ledger["total"] == 301
