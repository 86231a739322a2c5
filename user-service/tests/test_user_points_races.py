"""Point credits under concurrency: many keys for one hot user, one key from many callers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, text
from user_factories import SERVICE, Factory, credit_url, ledger_sum


@pytest.fixture
def row_lock_pulses(engine: Engine) -> Iterator[Any]:
    """Holds the user's row lock from a separate connection in short pulses, so concurrent
    callers surely meet LOCK_CONFLICT even on a machine fast enough to avoid it."""
    stop = threading.Event()

    def start(user_id: int) -> None:
        def pulse() -> None:
            while not stop.is_set():
                with engine.connect() as conn, conn.begin():
                    conn.execute(
                        text("SELECT 1 FROM identity.users WHERE id = :id FOR UPDATE"),
                        {"id": user_id},
                    )
                    time.sleep(0.02)
                time.sleep(0.02)

        threading.Thread(target=pulse, daemon=True).start()

    yield start
    stop.set()


def test_concurrent_distinct_keys_all_credit_once(
    make: Factory, live_url: str, engine: Engine, row_lock_pulses: Any
) -> None:
    user = make.signup()
    url = f"{live_url}{credit_url(user['id'])}"
    conflicts = 0
    count_lock = threading.Lock()
    row_lock_pulses(user["id"])

    def deliver(n: int) -> int:
        nonlocal conflicts
        with requests.Session() as http:
            for _ in range(500):
                response = http.post(
                    url,
                    json={"amount": n % 7 + 1, "reason": "video_view", "reference": f"video:{n}"},
                    headers={**SERVICE, "Idempotency-Key": f"race-{user['id']}-{n}"},
                    timeout=30,
                )
                if response.status_code != 409:
                    return response.status_code
                with count_lock:
                    conflicts += 1
                time.sleep(0.002)
        return 409

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(deliver, range(160)))
    assert statuses == [201] * 160
    assert conflicts > 0
    expected = sum(n % 7 + 1 for n in range(160))
    assert ledger_sum(engine, user["id"]) == (expected, expected, 160)


def test_same_key_from_many_threads_credits_once(
    make: Factory, live_url: str, engine: Engine
) -> None:
    user = make.signup()
    url = f"{live_url}{credit_url(user['id'])}"
    headers = {**SERVICE, "Idempotency-Key": f"once-{uuid.uuid4().hex}"}
    barrier = threading.Barrier(50)

    def deliver(_: int) -> requests.Response:
        barrier.wait()
        while True:
            response = requests.post(
                url, json={"amount": 10, "reason": "video_view"}, headers=headers, timeout=30
            )
            if response.status_code != 409:
                return response
            time.sleep(0.005)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(deliver, range(50)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 49 + [201]
    assert {r.json()["balance"] for r in responses} == {10}
    assert ledger_sum(engine, user["id"]) == (10, 10, 1)
