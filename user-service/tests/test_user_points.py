"""The internal point endpoint (idempotent credits, row lock) and the caller's history."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from user_factories import SERVICE, Factory, credit, credit_url, free_port, ledger_sum

from media_common.db import sqlstate
from user_service.points import Ledger, credit_points
from user_service.schemas import PointCreditRequest
from user_service.settings import Settings


def test_credit_then_replay(make: Factory, client: TestClient, engine: Engine) -> None:
    user = make.signup()
    first = credit(client, user["id"], 25, key="view:abc")
    assert first.status_code == 201
    body = first.json()
    assert body["user_id"] == user["id"] and body["amount"] == 25 and body["balance"] == 25
    assert body["idempotency_key"] == "view:abc" and body["created_at"]
    replay = credit(client, user["id"], 25, key="view:abc", reason="another reason")
    assert replay.status_code == 200 and replay.json() == body
    assert credit(client, user["id"], 5).json()["balance"] == 30
    assert ledger_sum(engine, user["id"]) == (30, 30, 2)


def test_same_key_for_another_amount_or_user_is_422(make: Factory, client: TestClient) -> None:
    user, other = make.signup(), make.signup()
    assert credit(client, user["id"], 10, key="k-422").status_code == 201
    for user_id, amount in ((user["id"], 11), (other["id"], 10)):
        response = credit(client, user_id, amount, key="k-422")
        assert response.status_code == 422
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert "Idempotency-Key" in response.json()["message"]


def test_unknown_or_deleted_user_is_404(make: Factory, client: TestClient) -> None:
    assert credit(client, 987_654_321).status_code == 404
    _, account = make.team()
    client.delete(f"/api/v1/users/{account.id}", headers=account.headers)
    response = credit(client, account.id)
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0, "reason": "r"},
        {"amount": -5, "reason": "r"},
        {"amount": 1_000_001, "reason": "r"},
        {"amount": 2**70, "reason": "r"},
        {"amount": "10", "reason": "r"},
        {"amount": 1.5, "reason": "r"},
        {"amount": 10},
        {"amount": 10, "reason": ""},
        {"amount": 10, "reason": "x" * 101},
        {"amount": 10, "reason": "r", "reference": "x" * 201},
        {"amount": 10, "reason": "nul\x00"},
        {"amount": 10, "reason": "r", "extra": 1},
    ],
)
def test_bad_bodies_are_422(make: Factory, client: TestClient, body: dict[str, Any]) -> None:
    user = make.signup()
    response = client.post(
        credit_url(user["id"]), json=body, headers={**SERVICE, "Idempotency-Key": "k"}
    )
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"


def test_idempotency_key_is_required_and_bounded(make: Factory, client: TestClient) -> None:
    user = make.signup()
    body = {"amount": 1, "reason": "r"}
    url = credit_url(user["id"])
    assert client.post(url, json=body, headers=SERVICE).status_code == 422
    for key in ("", "x" * 201, "tab\tkey"):
        headers = {**SERVICE, "Idempotency-Key": key}
        assert client.post(url, json=body, headers=headers).status_code == 422, key
    for user_id in ("0", str(2**63), "abc"):
        headers = {**SERVICE, "Idempotency-Key": "k"}
        assert client.post(credit_url(user_id), json=body, headers=headers).status_code == 422


def test_service_token_is_required(make: Factory, client: TestClient) -> None:
    account = make.account()
    body = {"amount": 1, "reason": "r"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, account.headers):
        response = client.post(
            credit_url(account.id), json=body, headers={**headers, "Idempotency-Key": "k"}
        )
        assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"


def test_busy_row_is_409_lock_conflict(make: Factory, client: TestClient, engine: Engine) -> None:
    user = make.signup()
    with engine.connect() as conn, conn.begin():
        conn.execute(
            text("SELECT 1 FROM identity.users WHERE id = :id FOR UPDATE"), {"id": user["id"]}
        )
        started = time.monotonic()
        response = credit(client, user["id"])
        assert time.monotonic() - started < 2
    assert response.status_code == 409
    assert response.json()["code"] == "LOCK_CONFLICT"
    assert response.headers["Retry-After"] == "1"
    assert ledger_sum(engine, user["id"]) == (0, 0, 0)


def test_my_points_history(make: Factory, client: TestClient) -> None:
    account = make.account()
    for amount in (1, 2, 3):
        credit(client, account.id, amount, reference=f"video:{amount}")
    page = client.get("/api/v1/users/me/points", headers=account.headers).json()
    assert page["balance"] == 6 and page["total"] == 3
    assert [item["amount"] for item in page["items"]] == [3, 2, 1]
    assert set(page["items"][0]) == {"amount", "reason", "reference", "created_at"}
    assert page["items"][0]["reference"] == "video:3"
    paged = client.get("/api/v1/users/me/points?limit=1&offset=2", headers=account.headers).json()
    assert [item["amount"] for item in paged["items"]] == [1] and paged["limit"] == 1
    assert client.get("/api/v1/users/me", headers=account.headers).json()["points"] == 6
    assert client.get("/api/v1/users/me/points").status_code == 401


def test_lock_timeout_bounds_other_waits(make: Factory, client: TestClient, engine: Engine) -> None:
    """A key held by another user's unfinished credit: the insert would wait on it; the
    credit's lock_timeout turns that wait into a quick 409 instead."""
    holder, user = make.signup(), make.signup()
    key = f"held-{uuid.uuid4().hex}"
    with engine.connect() as conn, conn.begin():
        conn.execute(
            text(
                "INSERT INTO identity.point_ledger"
                " (user_id, amount, reason, reference, idempotency_key, balance_after)"
                " VALUES (:id, 1, 'r', '', :key, 1)"
            ),
            {"id": holder["id"], "key": key},
        )
        started = time.monotonic()
        response = credit(client, user["id"], key=key)
        assert time.monotonic() - started < 2
        conn.rollback()
    assert response.status_code == 409 and response.json()["code"] == "LOCK_CONFLICT"
    assert credit(client, user["id"], key=key).status_code == 201  # free again


def test_other_database_errors_are_not_lock_conflicts(user_settings: Settings) -> None:
    """Only a busy lock is a LOCK_CONFLICT: any other failure propagates (a 500 the
    caller retries)."""
    request = PointCreditRequest(amount=1, reason="r")

    async def credit_on(settings: Settings) -> None:
        ledger = Ledger(settings, pool_size=1)
        try:
            await credit_points(ledger.engine, 1, "k", request)
        finally:
            await ledger.dispose()

    closed = user_settings.model_copy(update={"db_port": free_port()})
    with pytest.raises(OSError):
        asyncio.run(credit_on(closed))
    without_ledger = user_settings.model_copy(update={"db_name": "postgres"})
    with pytest.raises(DBAPIError) as failure:
        asyncio.run(credit_on(without_ledger))
    assert sqlstate(failure.value) == "42P01"  # no identity.users there
