"""First views, end to end: how many first streams per second become credited points.

One member streams N freshly uploaded videos for the first time, from CALLERS threads at
once (`Range: bytes=0-1023` through the gateway, each thread on its own keep-alive
connection): video-service records each view and its outbox row in one transaction, its
dispatchers deliver the credits to user-service, which books them under the row lock.
Figures: the streams per second, and the credits per second from the first stream to the
moment the balance (`GET /users/me`) shows all N. Then every video is streamed again
from all threads, and the run checks, through the stack's DSN, that the ledger holds
exactly N credits of this user and that no outbox row of theirs is left undelivered: no
view lost, none credited twice.
"""

from __future__ import annotations

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg2

from benchmarks.api import Tenant, new_tenant
from benchmarks.report import percentile, say, table
from benchmarks.stack import REPO_ROOT, StackInfo

FIXTURE = REPO_ROOT / "video-service" / "tests" / "fixtures" / "tiny.mp4"
CALLERS = 32
SETTLE_TIMEOUT = 600.0
CREDIT_TIMEOUT = 120.0


def _upload_all(tenant: Tenant, count: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        videos = list(pool.map(lambda i: tenant.upload(FIXTURE, f"views {i}"), range(count)))
    return [int(video["id"]) for video in videos]


def _wait_settled(tenant: Tenant, ids: list[int]) -> float:
    """Until no video of the tenant is processing (their media jobs load the machine)."""
    started = time.monotonic()
    waiting = set(ids)
    while waiting:
        if time.monotonic() - started > SETTLE_TIMEOUT:
            raise SystemExit(f"bench views: {len(waiting)} videos still processing")
        for offset in range(0, len(ids), 100):
            page = tenant.session.get(
                f"{tenant.base_url}/api/v1/videos",
                params={"limit": 100, "offset": offset},
                headers=tenant.auth,
                timeout=30,
            ).json()
            waiting -= {v["id"] for v in page["items"] if v["status"] != "processing"}
        if waiting:
            time.sleep(0.5)
    return time.monotonic() - started


class Streams:
    """Range requests from many threads, one keep-alive connection each."""

    def __init__(self, gateway_url: str, token: str) -> None:
        self.target = urlsplit(gateway_url)
        self.headers = {"Authorization": f"Bearer {token}", "Range": "bytes=0-1023"}

    def run(self, ids: list[int]) -> tuple[float, list[float]]:
        latencies: list[float] = []
        shares = [ids[i::CALLERS] for i in range(CALLERS)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CALLERS) as pool:
            for part in pool.map(self._stream, shares):
                latencies.extend(part)
        return time.perf_counter() - started, latencies

    def _stream(self, ids: list[int]) -> list[float]:
        conn = http.client.HTTPConnection(self.target.hostname or "127.0.0.1", self.target.port)
        latencies = []
        for video_id in ids:
            begun = time.perf_counter()
            conn.request("GET", f"/api/v1/videos/{video_id}/stream", headers=self.headers)
            response = conn.getresponse()
            response.read()
            if response.status != 206:
                raise SystemExit(f"bench views: stream of {video_id} answered {response.status}")
            latencies.append((time.perf_counter() - begun) * 1000)
        conn.close()
        return latencies


def _balance(tenant: Tenant, token: str) -> int:
    me = tenant.session.get(
        f"{tenant.base_url}/api/v1/users/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    return int(me["points"])


def _check(dsn: str, user_id: int, video_ids: list[int], expected: int) -> str:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM identity.point_ledger "
            "WHERE user_id = %s",
            (user_id,),
        )
        rows, total = cur.fetchone()
        cur.execute(
            "SELECT COUNT(*) FROM video.views WHERE user_id = %s AND video_id = ANY(%s)",
            (user_id, video_ids),
        )
        (views,) = cur.fetchone()
        cur.execute(
            "SELECT COUNT(*) FROM video.outbox WHERE user_id = %s AND status <> 'delivered'",
            (user_id,),
        )
        (pending,) = cur.fetchone()
    conn.close()
    count = len(video_ids)
    if (rows, total, views, pending) != (count, expected, count, 0):
        return (
            f"FAILED: ledger {rows} rows / {total} points, {views} views, {pending} undelivered"
            f" (expected {count} / {expected}, {count}, 0)"
        )
    return f"ok: {count} views, {rows} credits, {total} points, 0 lost, 0 doubled"


def run_views(stack: StackInfo, count: int, points_per_view: int) -> None:
    replicas = len(stack.service_urls["video-service"])
    say(
        f"== views: first streams of {count} videos by one member, {CALLERS} threads, "
        f"{replicas} replica(s) per service"
    )
    tenant = new_tenant(stack.gateway_url)
    member = tenant.add_member()
    token, user_id = member["access_token"], int(member["id"])
    ids = _upload_all(tenant, count)
    say(f"uploaded {count} videos; media jobs settled in {_wait_settled(tenant, ids):.1f} s")

    streams = Streams(stack.gateway_url, token)
    started = time.perf_counter()
    streamed, latencies = streams.run(ids)
    expected = count * points_per_view
    while _balance(tenant, token) < expected:
        if time.perf_counter() - started > CREDIT_TIMEOUT:
            raise SystemExit(f"bench views: not all credited after {CREDIT_TIMEOUT:.0f} s")
        time.sleep(0.02)
    credited = time.perf_counter() - started
    again, _ = streams.run(ids)  # second views: must credit nothing
    time.sleep(2.0)  # the dispatchers' next rounds, had anything been queued
    verdict = _check(stack.media_dsn, user_id, ids, expected)
    table(
        ["measure", "value"],
        [
            ["first streams (206) per second", f"{count / streamed:,.0f}"],
            ["stream p50 / p99 ms", f"{percentile(latencies, 0.5):.1f} / "
             f"{percentile(latencies, 0.99):.1f}"],
            ["first views credited per second, end to end", f"{count / credited:,.0f}"],
            ["all credited after", f"{credited:.2f} s"],
            ["second streams per second (no credit)", f"{count / again:,.0f}"],
            ["check", verdict],
        ],
    )  # fmt: skip
    say(json.dumps({"views_per_second": round(count / credited, 1)}))
