"""Test kit of the webhook tests: registering receivers, driving the deliverer, rows.

A deliverer built by `deliverer_for(client)` shares the app's database engine, so it runs
on the app's event loop: drive it with `client.portal.call(deliverer.run_once)`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from video_testkit import SyncDb

from media_common.testing_http import RecordingReceiver, documented_python
from video_service import videos
from video_service.runtime import Runtime
from video_service.webhook_delivery import WebhookDeliverer
from video_service.webhook_models import WebhookDelivery, WebhookEvent
from video_service.webhook_sender import WebhookSender
from video_service.webhooks import emit_video_event

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def verify_webhook() -> Callable[..., bool]:
    """`verify_webhook` of the receiver example in docs/webhooks.md, as documented."""
    function: Callable[..., bool] = documented_python(DOCS, "verify_webhook")["verify_webhook"]
    return function


def runtime_of(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def register(
    client: TestClient,
    headers: dict[str, str],
    receiver: RecordingReceiver,
    events: list[str] | None = None,
    path: str = "/hook",
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": receiver.url + path}
    if events is not None:
        body["events"] = events
    response = client.post("/api/v1/webhooks", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def deliverer_for(
    client: TestClient,
    *,
    allow_private: bool = True,
    timeout_seconds: float = 10.0,
    **options: Any,
) -> WebhookDeliverer:
    """A deliverer like the app's (same DB and key), with its own sender settings."""
    runtime = runtime_of(client)
    sender = WebhookSender(allow_private=allow_private, timeout_seconds=timeout_seconds)
    return WebhookDeliverer(runtime.db.sessionmaker, runtime.webhook_secrets, sender, **options)


def deliveries(db: SyncDb, endpoint_id: int) -> list[WebhookDelivery]:
    with db.sessionmaker() as session:
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        return list(session.scalars(query.order_by(WebhookDelivery.id)))


def events_of(db: SyncDb, company_id: int) -> list[WebhookEvent]:
    with db.sessionmaker() as session:
        query = select(WebhookEvent).where(WebhookEvent.company_id == company_id)
        return list(session.scalars(query.order_by(WebhookEvent.id)))


def make_due(db: SyncDb, endpoint_id: int) -> None:
    """Skip the backoff (or a lease) wait: the schedule itself is tested on its own."""
    with db.sessionmaker.begin() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
            .values(next_attempt_at=func.now())
        )


def deliver_until_settled(
    client: TestClient, db: SyncDb, deliverer: WebhookDeliverer, endpoint_id: int
) -> None:
    deadline = time.monotonic() + 20
    while any(row.status == "pending" for row in deliveries(db, endpoint_id)):
        assert time.monotonic() < deadline, "deliveries not settled"
        make_due(db, endpoint_id)
        client.portal.call(deliverer.run_once)  # type: ignore[union-attr]


def add_video_rows(client: TestClient, company_id: int, count: int) -> list[int]:
    """Video rows without stored bytes (the deliverer only needs their JSON)."""

    async def add() -> list[int]:
        async with runtime_of(client).db.sessionmaker.begin() as session:
            rows = [
                await videos.create_video(
                    session,
                    company_id=company_id,
                    uploaded_by=1,
                    title=f"Video {n}",
                    description=None,
                    content_type="video/mp4",
                    size_bytes=1,
                    storage_key=f"videos/{company_id}/{uuid.uuid4().hex}.mp4",
                    original_filename=None,
                )
                for n in range(count)
            ]
            return [row.id for row in rows]

    ids: list[int] = client.portal.call(add)  # type: ignore[union-attr]
    return ids


def emit_many(client: TestClient, company_id: int, video_ids: list[int], event_type: str) -> None:
    """One event per video, all in one transaction (as a batch job would write them)."""

    async def emit() -> None:
        async with runtime_of(client).db.sessionmaker.begin() as session:
            for video_id in video_ids:
                video = await videos.get_video(session, company_id, video_id)
                assert await emit_video_event(session, video, event_type) is not None

    client.portal.call(emit)  # type: ignore[union-attr]
