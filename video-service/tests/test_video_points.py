"""Views and point credits: one view per (user, video), delivered exactly once."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from video_testkit import FakePointsService, Tenant, fixture_bytes

from media_common.db import Database
from media_common.internal_http import InternalClient
from video_service.dispatcher import BATCH_SIZE, OutboxDispatcher, backoff_seconds, classify
from video_service.main import create_app
from video_service.models import OutboxEntry, View
from video_service.settings import Settings
from video_service.views import idempotency_key, record_view

Upload = Callable[..., Any]


@pytest.fixture
def db(make_settings: Callable[..., Settings]) -> Iterator[Database]:
    database = Database(make_settings())
    yield database
    database.dispose()


def dispatcher_for(db: Database, points: FakePointsService) -> OutboxDispatcher:
    client = InternalClient(points.url, "internal-test-token", timeout=2.0, retries=0)
    return OutboxDispatcher(db.sessionmaker, client, poll_seconds=0.05)


def outbox_rows(db: Database, keys: list[str]) -> list[OutboxEntry]:
    with db.sessionmaker() as session:
        query = select(OutboxEntry).where(OutboxEntry.idempotency_key.in_(keys))
        return list(session.scalars(query.order_by(OutboxEntry.id)))


def add_outbox_rows(db: Database, count: int, user_id: int) -> list[str]:
    """Views of fake videos written straight to the outbox (the dispatcher's input)."""
    keys = [f"test:{user_id}:{n}" for n in range(count)]
    with db.sessionmaker.begin() as session:
        session.add_all(
            OutboxEntry(
                idempotency_key=key, user_id=user_id, amount=10, reason="video_view",
                reference=f"video:{n}",
            )
            for n, key in enumerate(keys)
        )  # fmt: skip
    return keys


def make_due(db: Database, keys: list[str]) -> None:
    """Skip the backoff wait (the schedule itself is tested separately)."""
    with db.sessionmaker.begin() as session:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.idempotency_key.in_(keys))
            .values(next_attempt_at=func.now())
        )


def deliver_until_done(db: Database, dispatcher: OutboxDispatcher, keys: list[str]) -> None:
    deadline = time.monotonic() + 20
    while any(row.status == "pending" for row in outbox_rows(db, keys)):
        assert time.monotonic() < deadline, "outbox not drained"
        make_due(db, keys)
        dispatcher.run_once()


def test_view_is_recorded_once_with_one_outbox_row(db: Database) -> None:
    with db.sessionmaker.begin() as session:
        video_id = _video_row(session)
    with db.sessionmaker.begin() as session:
        assert record_view(session, 42, 7, video_id, 10) is True
    with db.sessionmaker.begin() as session:
        assert record_view(session, 42, 7, video_id, 10) is False
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
    client: TestClient, tenant: Tenant, upload: Upload, db: Database
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
    client: TestClient, tenant: Tenant, upload: Upload, db: Database
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
    client: TestClient, tenant: Tenant, upload: Upload, db: Database
) -> None:
    video_id = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()["id"]
    url = f"/api/v1/videos/{video_id}/stream"
    client.head(url, headers=tenant.member)
    client.get(url, headers={**tenant.member, "Range": "bytes=100-"})
    assert outbox_rows(db, [idempotency_key(tenant.member_id, video_id)]) == []
    client.get(url, headers={**tenant.member, "Range": "bytes=0-"})
    assert len(outbox_rows(db, [idempotency_key(tenant.member_id, video_id)])) == 1


def test_playback_and_accel_stream_record_the_view(
    client: TestClient, tenant: Tenant, upload: Upload, db: Database
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
        assert client.get(f"/api/v1/videos/{video_id}/stream", headers=tenant.member).is_success
        while points.calls_for(key) == 0:
            assert time.monotonic() - started < 2, "credit not delivered within 2 s"
            time.sleep(0.02)
    [(_, user_id, body)] = [call for call in points.calls if call[0] == key]
    assert user_id == tenant.member_id
    assert body == {"amount": 10, "reason": "video_view", "reference": f"video:{video_id}"}


def test_delivered_on_201(db: Database, points: FakePointsService) -> None:
    keys = add_outbox_rows(db, 1, 501)
    deliver_until_done(db, dispatcher_for(db, points), keys)
    [row] = outbox_rows(db, keys)
    assert row.status == "delivered" and row.delivered_at is not None
    assert points.calls_for(keys[0]) == 1


def test_lock_conflict_is_retried_then_delivered(db: Database, points: FakePointsService) -> None:
    keys = add_outbox_rows(db, 1, 502)
    points.script_for[keys[0]] = deque([409, 409])
    deliver_until_done(db, dispatcher_for(db, points), keys)
    [row] = outbox_rows(db, keys)
    assert row.status == "delivered" and row.attempts == 2
    assert points.calls_for(keys[0]) == 3


def test_user_service_down_then_up_delivers_once(db: Database, points: FakePointsService) -> None:
    keys = add_outbox_rows(db, 3, 503)
    dispatcher = dispatcher_for(db, points)
    points.refuse = True
    dispatcher.run_once()
    rows = outbox_rows(db, keys)
    assert all(row.status == "pending" for row in rows)
    assert sum(row.attempts for row in rows) >= 1
    assert any("unreachable" in (row.last_error or "") for row in rows)
    points.refuse = False
    points.script_for[keys[1]] = deque([503])
    deliver_until_done(db, dispatcher, keys)
    assert all(points.credited[key] == 1 for key in keys)


def test_unknown_user_is_dead_and_never_retried(db: Database, points: FakePointsService) -> None:
    keys = add_outbox_rows(db, 2, 504)
    points.script_for[keys[0]] = deque([404])
    points.script_for[keys[1]] = deque([422])
    dispatcher = dispatcher_for(db, points)
    deliver_until_done(db, dispatcher, keys)
    make_due(db, keys)
    dispatcher.run_once()
    for row in outbox_rows(db, keys):
        assert row.status == "dead" and row.last_error
        assert points.calls_for(row.idempotency_key) == 1


def test_two_dispatchers_deliver_each_credit_exactly_once(
    make_settings: Callable[..., Settings], db: Database, points: FakePointsService
) -> None:
    keys = add_outbox_rows(db, 100, 505)
    other_db = Database(make_settings())
    dispatchers = [dispatcher_for(db, points), dispatcher_for(other_db, points)]
    # Every 7th answer is a lock conflict, so retries interleave with first attempts.
    for key in keys[::7]:
        points.script_for[key] = deque([409])
    barrier = threading.Barrier(2)

    def drain(dispatcher: OutboxDispatcher) -> None:
        barrier.wait()
        deliver_until_done(db, dispatcher, keys)

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(drain, dispatchers))
    finally:
        other_db.dispose()
    assert all(points.credited[key] == 1 for key in keys)
    calls = [k for k, _, _ in points.calls if k in set(keys)]
    assert len(calls) == 100 + len(keys[::7])
    assert all(row.status == "delivered" for row in outbox_rows(db, keys))


def test_background_thread_polls_and_stops(db: Database, points: FakePointsService) -> None:
    keys = add_outbox_rows(db, BATCH_SIZE + 5, 506)
    dispatcher = dispatcher_for(db, points)
    dispatcher.start()
    try:
        deadline = time.monotonic() + 10
        while not all(points.credited[key] for key in keys):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        dispatcher.stop()
    assert all(points.credited[key] == 1 for key in keys)


def test_backoff_grows_with_a_cap_and_jitter() -> None:
    assert 0.025 <= backoff_seconds(0) <= 0.075
    assert 0.8 <= backoff_seconds(5) <= 2.4
    assert all(15 <= backoff_seconds(n) <= 45 for n in (10, 50, 10_000))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(201, "delivered"), (200, "delivered"), (409, "retry"), (429, "retry"), (500, "retry"),
     (503, "retry"), (404, "dead"), (401, "dead"), (422, "dead")],
)  # fmt: skip
def test_classify(status: int, outcome: str) -> None:
    assert classify(status).status == outcome


def test_pending_gauge_in_metrics(
    client: TestClient, db: Database, points: FakePointsService
) -> None:
    add_outbox_rows(db, 1, 507)
    points.refuse = True
    dispatcher_for(db, points).run_once()
    metrics = client.get("/metrics").text
    [line] = [x for x in metrics.splitlines() if x.startswith("video_outbox_pending ")]
    assert float(line.split()[1]) >= 1
    assert "video_outbox_deliveries_total" in metrics
