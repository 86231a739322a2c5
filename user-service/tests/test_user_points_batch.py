"""The internal batch credit endpoint: one call, one outcome per credit as the single
endpoint would answer it, and every credit still once — also racing singles and other
batches over the same keys."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from user_factories import SERVICE, Factory, credit, credit_url, ledger_sum


def batch_url(user_id: int | str) -> str:
    return f"{credit_url(user_id)}/batch"


def item(key: str, amount: int = 10, **extra: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "amount": amount, "reason": "video_view", **extra}


def test_one_outcome_per_credit_in_order(make: Factory, client: TestClient, engine: Engine) -> None:
    user, other = make.signup(), make.signup()
    tag = uuid.uuid4().hex
    assert credit(client, user["id"], 10, key=f"{tag}-old").status_code == 201
    assert credit(client, other["id"], 10, key=f"{tag}-theirs").status_code == 201
    response = client.post(
        batch_url(user["id"]),
        json={
            "credits": [
                item(f"{tag}-a", 5, reference="video:1"),
                item(f"{tag}-old", 10),  # a replay of a single credit
                item(f"{tag}-theirs", 10),  # another user's key: refused, nothing booked
                item(f"{tag}-a", 5),  # the same key twice in one batch: a replay
                item(f"{tag}-b", 7),
            ]
        },
        headers=SERVICE,
    )
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"idempotency_key": f"{tag}-a", "status": 201, "balance": 15},
        {"idempotency_key": f"{tag}-old", "status": 200, "balance": 10},
        {"idempotency_key": f"{tag}-theirs", "status": 422, "balance": None},
        {"idempotency_key": f"{tag}-a", "status": 200, "balance": 15},
        {"idempotency_key": f"{tag}-b", "status": 201, "balance": 22},
    ]
    assert ledger_sum(engine, user["id"]) == (22, 22, 3)
    assert ledger_sum(engine, other["id"]) == (10, 10, 1)


def test_unknown_user_is_404_per_credit(client: TestClient) -> None:
    response = client.post(
        batch_url(987_654_321), json={"credits": [item("k1"), item("k2")]}, headers=SERVICE
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [404, 404]


def test_bad_batches_are_422_or_401(make: Factory, client: TestClient, engine: Engine) -> None:
    user = make.signup()
    url = batch_url(user["id"])
    bad = [
        {"credits": []},
        {"credits": [item(f"k{n}") for n in range(101)]},
        {"credits": [item("k", 0)]},
        {"credits": [item(" padded ")]},
        {"credits": [item("")]},
        {"credits": [{"amount": 1, "reason": "r"}]},
        {"credits": [item("k")], "extra": 1},
        {"credits": "k"},
    ]
    for body in bad:
        response = client.post(url, json=body, headers=SERVICE)
        assert response.status_code == 422, body
        assert response.json()["code"] == "VALIDATION_ERROR"
    assert client.post(url, json={"credits": [item("k")]}).status_code == 401
    assert ledger_sum(engine, user["id"]) == (0, 0, 0)


def test_batches_and_singles_racing_over_the_same_keys_credit_each_once(
    make: Factory, live_url: str, engine: Engine
) -> None:
    """16 threads send the same 60 keys of one user, half of them as batches of 20 in
    different orders, half one by one; 409s are retried. Each key is booked once."""
    user = make.signup()
    keys = [f"mix-{uuid.uuid4().hex}-{n}" for n in range(60)]
    amount = {key: n % 5 + 1 for n, key in enumerate(keys)}
    barrier = threading.Barrier(16)

    def as_batches(thread: int, http: requests.Session) -> list[int]:
        order = keys[thread:] + keys[:thread]
        statuses = []
        for start in range(0, len(order), 20):
            pending = order[start : start + 20]
            while pending:
                response = http.post(
                    f"{live_url}{batch_url(user['id'])}",
                    json={"credits": [item(key, amount[key]) for key in pending]},
                    headers=SERVICE,
                    timeout=30,
                )
                assert response.status_code == 200
                results = response.json()["results"]
                statuses += [r["status"] for r in results if r["status"] != 409]
                pending = [r["idempotency_key"] for r in results if r["status"] == 409]
                time.sleep(0.002 if pending else 0)
        return statuses

    def one_by_one(thread: int, http: requests.Session) -> list[int]:
        statuses = []
        for key in reversed(keys):
            while True:
                response = http.post(
                    f"{live_url}{credit_url(user['id'])}",
                    json={"amount": amount[key], "reason": "video_view"},
                    headers={**SERVICE, "Idempotency-Key": key},
                    timeout=30,
                )
                if response.status_code != 409:
                    statuses.append(response.status_code)
                    break
                time.sleep(0.002)
        return statuses

    def run(thread: int) -> list[int]:
        with requests.Session() as http:
            barrier.wait()
            return (as_batches if thread % 2 else one_by_one)(thread, http)

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [status for part in pool.map(run, range(16)) for status in part]
    assert len(statuses) == 16 * 60
    assert statuses.count(201) == 60 and statuses.count(200) == 15 * 60
    expected = sum(amount.values())
    assert ledger_sum(engine, user["id"]) == (expected, expected, 60)
