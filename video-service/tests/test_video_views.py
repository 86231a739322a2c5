"""Views: one per (user, video) however many concurrent streams, each with one outbox row."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from video_testkit import FakePointsService, SyncDb, Tenant, fixture_bytes, outbox_rows

from media_common.db import Database
from media_common.testing import run_with_database
from video_service.main import create_app
from video_service.models import View
from video_service.settings import Settings
from video_service.views import SeenViews, idempotency_key, record_view

Upload = Callable[..., Any]


def test_view_is_recorded_once_with_one_outbox_row(settings: Settings, db: SyncDb) -> None:
    with db.sessionmaker.begin() as session:
        video_id = _video_row(session)

    async def record_twice(database: Database) -> list[bool]:
        firsts = []
        for _ in range(2):
            async with database.sessionmaker.begin() as session:
                firsts.append(await record_view(session, 42, 7, video_id, 10))
        return firsts

    assert run_with_database(settings, record_twice) == [True, False]
    [row] = outbox_rows(db, [idempotency_key(42, video_id)])
    assert (row.user_id, row.amount, row.reason) == (42, 10, "video_view")
    assert row.reference == f"video:{video_id}"
    assert row.status == "pending" and row.attempts == 0


def _video_row(session: Session) -> int:
    from video_service.models import Video

    video = Video(
        company_id=7, uploaded_by=1, title="t", content_type="video/mp4", size_bytes=1,
        storage_key=f"videos/7/{time.time_ns()}.mp4",
    )  # fmt: skip
    session.add(video)
    session.flush()
    return video.id


def test_concurrent_first_streams_record_one_view(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb
) -> None:
    video_id = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
    url = f"/api/v1/videos/{video_id}/stream"

    def watch(n: int) -> int:
        headers = {**tenant.member, **({"Range": "bytes=0-99"} if n % 2 else {})}
        return client.get(url, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(watch, range(64)))
    assert sorted(set(statuses)) == [200, 206]
    with db.sessionmaker() as session:
        views = session.scalar(
            select(func.count()).select_from(View).where(View.video_id == video_id)
        )
    assert views == 1
    assert len(outbox_rows(db, [idempotency_key(tenant.member_id, video_id)])) == 1


def test_concurrent_first_streams_of_n_videos_record_n_views(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb
) -> None:
    ids = [upload(client, tenant.admin, fixture_bytes("tiny.webm")).json()["id"] for _ in range(8)]
    jobs = [vid for vid in ids for _ in range(6)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda vid: client.get(f"/api/v1/videos/{vid}/stream", headers=tenant.member),
                jobs,
            )
        )
    keys = [idempotency_key(tenant.member_id, vid) for vid in ids]
    assert len(outbox_rows(db, keys)) == len(ids)


def test_head_and_later_ranges_do_not_count(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb
) -> None:
    video_id = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
    url = f"/api/v1/videos/{video_id}/stream"
    client.head(url, headers=tenant.member)
    client.get(url, headers={**tenant.member, "Range": "bytes=100-"})
    assert outbox_rows(db, [idempotency_key(tenant.member_id, video_id)]) == []
    client.get(url, headers={**tenant.member, "Range": "bytes=0-"})
    assert len(outbox_rows(db, [idempotency_key(tenant.member_id, video_id)])) == 1


def test_playback_and_accel_stream_record_the_view(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb
) -> None:
    first = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
    second = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
    client.post(f"/api/v1/videos/{first}/playback", headers=tenant.member)
    client.get(
        f"/api/v1/videos/{second}/stream", headers={**tenant.member, "X-Accel-Available": "1"}
    )
    keys = [idempotency_key(tenant.member_id, vid) for vid in (first, second)]
    assert len(outbox_rows(db, keys)) == 2


def test_stream_credits_points_through_the_running_dispatcher(
    make_settings: Callable[..., Settings],
    tenant: Tenant,
    upload: Upload,
    points: FakePointsService,
) -> None:
    app = create_app(make_settings(outbox_poll_seconds=30))  # only the wake-up can be fast
    with TestClient(app) as client:
        video_id = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
        key = idempotency_key(tenant.member_id, video_id)
        started = time.monotonic()
        headers = {**tenant.member, "X-Request-ID": f"trace-{video_id}"}
        assert client.get(f"/api/v1/videos/{video_id}/stream", headers=headers).is_success
        while points.calls_for(key) == 0:
            assert time.monotonic() - started < 2, "credit not delivered within 2 s"
            time.sleep(0.02)
    [(_, user_id, body)] = [call for call in points.calls if call[0] == key]
    assert user_id == tenant.member_id
    assert body == {"amount": 10, "reason": "video_view", "reference": f"video:{video_id}"}
    assert points.request_ids[key] == f"trace-{video_id}"  # the stream's id reaches the ledger


def test_video_plays_while_user_service_is_down(
    make_settings: Callable[..., Settings],
    tenant: Tenant,
    upload: Upload,
    db: SyncDb,
    client: TestClient,
) -> None:
    video_id = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
    app = create_app(make_settings(user_service_url="http://127.0.0.1:9"))  # nothing listens
    with TestClient(app) as client:
        # The access feed cannot be read: admin authority fails closed, viewing goes on.
        again = upload(client, tenant.admin, fixture_bytes("tiny.mp4"))
        assert again.status_code == 503 and again.json()["code"] == "SERVICE_UNAVAILABLE"
        started = time.monotonic()
        response = client.get(f"/api/v1/videos/{video_id}/stream", headers=tenant.member)
        assert response.status_code == 200
        assert response.content == fixture_bytes("tiny.mp4")
        assert time.monotonic() - started < 2  # nothing waits for user-service
    [row] = outbox_rows(db, [idempotency_key(tenant.member_id, video_id)])
    assert row.status == "pending"  # delivered once user-service is back (dispatcher tests)


def test_seen_views_remembers_pairs_and_forgets_the_least_recent() -> None:
    seen = SeenViews(capacity=2)
    seen.add((1, 1))
    seen.add((1, 2))
    assert (1, 1) in seen  # now the most recent
    seen.add((2, 2))
    assert (1, 2) not in seen
    assert (1, 1) in seen
    assert (2, 2) in seen


@pytest.mark.parametrize(
    ("header", "view"),
    [("bytes=00-5", True), ("bytes=0-1,5-9", True), ("bytes=5-3", False),
     ("bytes=-20000", False), ("bytes=x-1", False)],
)  # fmt: skip
def test_both_stream_paths_count_a_range_alike(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb, header: str, view: bool
) -> None:
    """The nginx path (X-Accel-Available) and the fallback apply one view rule."""
    for accel in ({"X-Accel-Available": "1"}, {}):
        video_id = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
        url = f"/api/v1/videos/{video_id}/stream"
        resp = client.get(url, headers={**tenant.member, **accel, "Range": header})
        assert resp.status_code in (200, 206), resp.text
        rows = outbox_rows(db, [idempotency_key(tenant.member_id, video_id)])
        assert len(rows) == int(view), (accel, header)
