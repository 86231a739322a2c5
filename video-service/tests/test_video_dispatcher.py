"""The outbox dispatcher: every point credit delivered exactly once, retried until then."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, update
from video_testkit import FakePointsService, outbox_rows

from media_common.db import Database
from media_common.internal_http import InternalClient
from video_service.dispatcher import BATCH_SIZE, OutboxDispatcher, backoff_seconds, classify
from video_service.models import OutboxEntry
from video_service.settings import Settings

Upload = Callable[..., Any]


def dispatcher_for(db: Database, points: FakePointsService) -> OutboxDispatcher:
    client = InternalClient(points.url, "internal-test-token", timeout=2.0, retries=0)
    return OutboxDispatcher(db.sessionmaker, client, poll_seconds=0.05)


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
    # Down: each round tries one row (the oldest due) and stops, so no hot loop.
    assert dispatcher.run_once() == 1
    deadline = time.monotonic() + 10
    while any(row.attempts == 0 for row in outbox_rows(db, keys)):
        assert time.monotonic() < deadline
        time.sleep(0.05)  # the tried row backs off; the next one becomes the oldest due
        assert dispatcher.run_once() <= 1
    rows = outbox_rows(db, keys)
    assert all(row.status == "pending" for row in rows)
    assert all("unreachable" in (row.last_error or "") for row in rows)
    assert points.credited.total() == 0
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
