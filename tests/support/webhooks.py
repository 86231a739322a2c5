"""Webhooks in system tests: register a receiver, read deliveries, move a delivery's clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2

from media_common.testing_http import RecordingReceiver, documented_python
from tests.support.client import Api, Member
from tests.support.stack import Stack

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def verify_webhook() -> Callable[..., bool]:
    """The receiver example of docs/webhooks.md, run as documented."""
    function: Callable[..., bool] = documented_python(DOCS, "verify_webhook")["verify_webhook"]
    return function


def register(api: Api, admin: Member, receiver: RecordingReceiver, **body: Any) -> dict[str, Any]:
    resp = api.post("/api/v1/webhooks", headers=admin.headers, json={"url": receiver.url, **body})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def deliveries(api: Api, admin: Member, webhook_id: int) -> list[dict[str, Any]]:
    resp = api.get(f"/api/v1/webhooks/{webhook_id}/deliveries?limit=100", headers=admin.headers)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def wait_settled(api: Api, admin: Member, webhook_id: int, timeout: float = 20.0) -> list[Any]:
    """Poll the deliveries list until none is pending."""
    deadline = time.monotonic() + timeout
    while True:
        items = deliveries(api, admin, webhook_id)
        if items and all(item["status"] != "pending" for item in items):
            return items
        assert time.monotonic() < deadline, items
        time.sleep(0.1)


def end_leases(stack: Stack, webhook_id: int) -> None:
    """Make the webhook's pending deliveries due now: what the passing of their lease (or
    backoff) would do, without sleeping through it."""
    with psycopg2.connect(stack.info["media_dsn"]) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE video.webhook_deliveries SET next_attempt_at = now()"
            " WHERE endpoint_id = %s AND status = 'pending'",
            (webhook_id,),
        )
    conn.close()
