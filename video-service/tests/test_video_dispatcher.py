"""The outbox dispatcher: every point credit delivered exactly once, retried until then.

A dispatcher runs on an event loop of its own with a Database of its own
(`run_with_database`), as in a replica; rows are arranged and checked with `db`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, update
from video_testkit import FakePointsService, SyncDb, outbox_rows

from media_common.db import Database
from media_common.internal_http import InternalClient
from media_common.testing import run_with_database
from video_service.dispatcher import BATCH_SIZE, OutboxDispatcher, backoff_seconds, classify
from video_service.models import OutboxEntry
from video_service.settings import Settings

Upload = Callable[..., Any]


def dispatching(
    settings: Settings,
    points: FakePointsService,
    work: Callable[[OutboxDispatcher], Awaitable[Any]],
) -> Any:
    """Run `work` with a dispatcher of its own (engine, client, event loop)."""

    async def main(database: Database) -> Any:
        client = InternalClient(points.url, "internal-test-token", timeout=2.0, retries=0)
        dispatcher = OutboxDispatcher(database.sessionmaker, client, poll_seconds=0.05)
        try:
            return await work(dispatcher)
        finally:
            await dispatcher.close()

    return run_with_database(settings, main)


def add_outbox_rows(db: SyncDb, count: int, user_id: int, first: int = 0) -> list[str]:
    """Views of fake videos written straight to the outbox (the dispatcher's input)."""
    keys = [f"test:{user_id}:{n}" for n in range(first, first + count)]
    with db.sessionmaker.begin() as session:
        session.add_all(
            OutboxEntry(
                idempotency_key=key, user_id=user_id, amount=10, reason="video_view",
                reference=f"video:{n}",
            )
            for n, key in enumerate(keys)
        )  # fmt: skip
    return keys


def make_due(db: SyncDb, keys: list[str]) -> None:
    """Skip the backoff wait (the schedule itself is tested separately)."""
    with db.sessionmaker.begin() as session:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.idempotency_key.in_(keys))
            .values(next_attempt_at=func.now())
        )


async def deliver_until_done(db: SyncDb, dispatcher: OutboxDispatcher, keys: list[str]) -> None:
    """Rounds until no row of `keys` is pending. The row checks are quick synchronous
    reads: they hold up only this dispatcher's own loop."""
    deadline = time.monotonic() + 20
    while any(row.status == "pending" for row in outbox_rows(db, keys)):
        assert time.monotonic() < deadline, "outbox not drained"
        make_due(db, keys)
        await dispatcher.run_once()


def test_delivered_on_201(settings: Settings, db: SyncDb, points: FakePointsService) -> None:
    keys = add_outbox_rows(db, 1, 501)
    dispatching(settings, points, lambda dispatcher: deliver_until_done(db, dispatcher, keys))
    [row] = outbox_rows(db, keys)
    assert row.status == "delivered" and row.delivered_at is not None
    assert points.calls_for(keys[0]) == 1


def test_lock_conflict_is_retried_then_delivered(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    keys = add_outbox_rows(db, 1, 502)
    points.script_for[keys[0]] = deque([409, 409])
    dispatching(settings, points, lambda dispatcher: deliver_until_done(db, dispatcher, keys))
    [row] = outbox_rows(db, keys)
    assert row.status == "delivered" and row.attempts == 2
    assert points.calls_for(keys[0]) == 3


def test_user_service_down_then_up_delivers_once(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    keys = add_outbox_rows(db, 3, 503)

    async def work(dispatcher: OutboxDispatcher) -> None:
        points.refuse = True
        # Down: each round tries one row (the oldest due) and stops, so no hot loop.
        assert await dispatcher.run_once() == 1
        deadline = time.monotonic() + 10
        while any(row.attempts == 0 for row in outbox_rows(db, keys)):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)  # the tried row backs off; the next one becomes due
            assert await dispatcher.run_once() <= 1
        rows = outbox_rows(db, keys)
        assert all(row.status == "pending" for row in rows)
        assert all("unreachable" in (row.last_error or "") for row in rows)
        assert points.credited.total() == 0
        points.refuse = False
        points.script_for[keys[1]] = deque([503])
        await deliver_until_done(db, dispatcher, keys)

    dispatching(settings, points, work)
    assert all(points.credited[key] == 1 for key in keys)


def test_unknown_user_is_dead_and_never_retried(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    keys = add_outbox_rows(db, 2, 504)
    points.script_for[keys[0]] = deque([404])
    points.script_for[keys[1]] = deque([422])

    async def work(dispatcher: OutboxDispatcher) -> None:
        await deliver_until_done(db, dispatcher, keys)
        make_due(db, keys)
        await dispatcher.run_once()

    dispatching(settings, points, work)
    for row in outbox_rows(db, keys):
        assert row.status == "dead" and row.last_error
        assert points.calls_for(row.idempotency_key) == 1


def test_two_dispatchers_deliver_each_credit_exactly_once(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    """Two replicas: each dispatcher on its own thread, event loop and engine."""
    keys = add_outbox_rows(db, 100, 505)
    # Every 7th answer is a lock conflict, so retries interleave with first attempts.
    for key in keys[::7]:
        points.script_for[key] = deque([409])
    barrier = threading.Barrier(2)

    def drain(_: int) -> None:
        barrier.wait()
        dispatching(settings, points, lambda d: deliver_until_done(db, d, keys))

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(drain, range(2)))
    assert all(points.credited[key] == 1 for key in keys)
    calls = [k for k, _, _ in points.calls if k in set(keys)]
    assert len(calls) == 100 + len(keys[::7])
    assert all(row.status == "delivered" for row in outbox_rows(db, keys))


def test_a_round_sends_the_probe_alone_then_one_batch_per_user(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    hot = add_outbox_rows(db, 6, 521)
    other = add_outbox_rows(db, 2, 522)
    late = add_outbox_rows(db, 2, 521, first=6)
    dispatching(settings, points, lambda d: d.run_once())
    assert points.batches == [hot[1:] + late, other]  # the oldest went alone, as the probe
    assert all(points.credited[key] == 1 for key in hot + other + late)
    assert all(row.status == "delivered" for row in outbox_rows(db, hot + other + late))


def test_each_credit_of_a_batch_has_its_own_outcome(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    keys = add_outbox_rows(db, 5, 523)
    points.script_for[keys[2]] = deque([409])
    points.script_for[keys[3]] = deque([404])
    dispatching(settings, points, lambda d: deliver_until_done(db, d, keys))
    rows = {row.idempotency_key: row for row in outbox_rows(db, keys)}
    assert rows[keys[2]].status == "delivered" and rows[keys[2]].attempts == 1
    assert rows[keys[3]].status == "dead" and points.calls_for(keys[3]) == 1
    assert all(rows[key].status == "delivered" for key in (keys[0], keys[1], keys[4]))
    assert all(points.credited[key] == 1 for key in (keys[0], keys[1], keys[2], keys[4]))


def test_a_user_service_without_the_batch_endpoint_gets_the_credits_one_by_one(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    """A rolling update may pair this dispatcher with an older user-service: its 404 for the
    batch route must not bury the credits as if the user were gone."""
    keys = add_outbox_rows(db, 4, 524)
    points.batch_status = 404
    dispatching(settings, points, lambda d: d.run_once())
    assert all(row.status == "delivered" for row in outbox_rows(db, keys))
    assert all(points.credited[key] == 1 for key in keys)


def test_user_service_down_mid_round_stops_the_round(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    first = add_outbox_rows(db, 1, 525)
    batch = add_outbox_rows(db, 3, 526)
    rest = add_outbox_rows(db, 3, 527)

    async def work(dispatcher: OutboxDispatcher) -> None:
        points.refuse_batches = True  # the probe gets through, then user-service is gone
        assert await dispatcher.run_once() == 4  # the probe, then the batch that failed

    dispatching(settings, points, work)
    rows = {row.idempotency_key: row for row in outbox_rows(db, first + batch + rest)}
    assert rows[first[0]].status == "delivered"
    assert all(rows[k].status == "pending" and rows[k].attempts == 1 for k in batch)
    assert all(rows[k].status == "pending" and rows[k].attempts == 0 for k in rest)
    points.refuse_batches = False
    dispatching(settings, points, lambda d: deliver_until_done(db, d, batch + rest))
    assert all(points.credited[key] == 1 for key in first + batch + rest)


def test_background_loop_polls_and_stops(
    settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    keys = add_outbox_rows(db, BATCH_SIZE + 5, 506)

    async def work(dispatcher: OutboxDispatcher) -> None:
        dispatcher.start()
        try:
            deadline = time.monotonic() + 10
            while not all(points.credited[key] for key in keys):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        finally:
            await dispatcher.stop()

    dispatching(settings, points, work)
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
    client: TestClient, settings: Settings, db: SyncDb, points: FakePointsService
) -> None:
    add_outbox_rows(db, 1, 507)
    points.refuse = True
    dispatching(settings, points, lambda dispatcher: dispatcher.run_once())
    metrics = client.get("/metrics").text
    [line] = [x for x in metrics.splitlines() if x.startswith("video_outbox_pending ")]
    assert float(line.split()[1]) >= 1
    assert "video_outbox_deliveries_total" in metrics
