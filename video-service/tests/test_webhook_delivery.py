"""Delivering webhooks: every event type signed, retries, the retry window, SSRF at
delivery, no redirects, timeouts, leases that survive a crashed worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from video_testkit import SyncDb, Tenant, add_videos
from webhook_testkit import (
    deliver_until_settled,
    deliverer_for,
    deliveries,
    emit_many,
    events_of,
    make_due,
    register,
    runtime_of,
    verify_webhook,
)

from media_common.testing_http import ReceivedRequest, RecordingReceiver
from video_service import videos
from video_service.webhook_delivery import WebhookDeliverer
from video_service.webhook_models import WebhookDelivery
from video_service.webhooks import VIDEO_FAILED, VIDEO_READY, emit_video_event

Upload = Callable[..., Any]
pytestmark = pytest.mark.usefixtures("quiet_outbox")


def run_once(client: TestClient, deliverer: WebhookDeliverer) -> int:
    """One round of `deliverer` on the app's event loop (it shares the app's engine)."""
    handled: int = client.portal.call(deliverer.run_once)  # type: ignore[union-attr]
    return handled


def payload(request: ReceivedRequest) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.body)
    return body


def test_every_event_type_is_delivered_signed(
    client: TestClient,
    new_tenant: Callable[..., Tenant],
    receiver: RecordingReceiver,
    upload: Upload,
    db: SyncDb,
) -> None:
    tenant = new_tenant("paid")
    secret = register(client, tenant.admin, receiver)["secret"]
    [video_id] = add_videos(client, tenant, upload, 1)
    # what the media pipeline does when a video becomes ready or fails (own transactions)
    emit_many(client, tenant.company_id, [video_id], VIDEO_READY)
    emit_many(client, tenant.company_id, [video_id], VIDEO_FAILED)
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    assert (
        client.post(f"/api/v1/videos/{video_id}/restore", headers=tenant.admin).status_code == 200
    )
    deliverer = deliverer_for(client)
    while run_once(client, deliverer):
        pass
    received = receiver.wait_for_count(4)
    assert [payload(r)["type"] for r in received] == [
        "video.ready", "video.failed", "video.deleted", "video.restored",
    ]  # fmt: skip
    verify = verify_webhook()
    for request in received:
        body = payload(request)
        assert set(body) == {"id", "type", "created_at", "data"}
        assert request.headers["Webhook-Id"] == str(body["id"])
        assert request.headers["Content-Type"] == "application/json"
        assert verify(secret, request.headers["Webhook-Signature"], request.body)
        assert not verify(secret, request.headers["Webhook-Signature"], request.body + b"\n")
        assert body["data"]["id"] == video_id and body["data"]["company_id"] == tenant.company_id
        assert body["created_at"].endswith("+00:00")
        assert request.path == "/hook"
    deleted, restored = payload(received[2]), payload(received[3])
    assert deleted["data"]["deleted_at"] is not None and restored["data"]["deleted_at"] is None
    assert len({payload(r)["id"] for r in received}) == 4


def test_only_subscribed_endpoints_get_an_event(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb
) -> None:
    deletes, readies = RecordingReceiver(), RecordingReceiver()
    try:
        on_delete = register(client, tenant.admin, deletes, ["video.deleted"])
        on_ready = register(client, tenant.admin, readies, ["video.ready"])
        [video_id] = add_videos(client, tenant, upload, 1)
        assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
        assert len(deliveries(db, on_delete["id"])) == 1
        assert deliveries(db, on_ready["id"]) == []
        run_once(client, deliverer_for(client))
        assert [payload(r)["type"] for r in deletes.wait_for_count(1)] == ["video.deleted"]
        assert readies.requests == []
    finally:
        deletes.close()
        readies.close()


def test_no_subscriber_no_event(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb
) -> None:
    [video_id] = add_videos(client, tenant, upload, 1)
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    assert events_of(db, tenant.company_id) == []


def test_the_event_rolls_back_with_its_change(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, upload: Upload, db: SyncDb
) -> None:
    endpoint = register(client, tenant.admin, receiver)
    [video_id] = add_videos(client, tenant, upload, 1)

    async def delete_then_fail() -> None:
        async with runtime_of(client).db.sessionmaker() as session:
            await videos.soft_delete(session, tenant.company_id, video_id)
            await session.rollback()  # the request failed after the delete: no event either

    client.portal.call(delete_then_fail)  # type: ignore[union-attr]
    assert events_of(db, tenant.company_id) == [] and deliveries(db, endpoint["id"]) == []
    assert client.get(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 200


def test_failing_receiver_is_retried_with_the_same_webhook_id(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, upload: Upload, db: SyncDb
) -> None:
    endpoint = register(client, tenant.admin, receiver)
    [video_id] = add_videos(client, tenant, upload, 1)
    receiver.script.extend([500, 503, 404])
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    deliverer = deliverer_for(client)
    run_once(client, deliverer)
    [row] = deliveries(db, endpoint["id"])
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    wait = (row.next_attempt_at - _db_now(db)).total_seconds()
    assert 4.0 <= wait <= 10.0  # the first retry comes within 10 s
    assert run_once(client, deliverer) == 0  # not due yet
    deliver_until_settled(client, db, deliverer, endpoint["id"])
    [row] = deliveries(db, endpoint["id"])
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 4, 200)
    assert row.lease_token is None and row.delivered_at is not None
    received = receiver.wait_for_count(4)
    assert len({r.headers["Webhook-Id"] for r in received}) == 1
    assert len({r.body for r in received}) == 1
    verify = verify_webhook()
    secret_check = [
        verify(endpoint["secret"], r.headers["Webhook-Signature"], r.body) for r in received
    ]
    assert all(secret_check)


def test_after_the_retry_window_the_delivery_fails(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, upload: Upload, db: SyncDb
) -> None:
    endpoint = register(client, tenant.admin, receiver)
    [video_id] = add_videos(client, tenant, upload, 1)
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    receiver.default_status = 500
    deliverer = deliverer_for(client)
    run_once(client, deliverer)
    assert deliveries(db, endpoint["id"])[0].status == "pending"
    with db.sessionmaker.begin() as session:  # 24 h and a bit have passed
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint["id"])
            .values(
                created_at=func.now() - timedelta(hours=24, minutes=1), next_attempt_at=func.now()
            )
        )
    run_once(client, deliverer)
    [row] = deliveries(db, endpoint["id"])
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 2, 500)
    make_due_failed = run_once(client, deliverer)
    assert make_due_failed == 0 and len(receiver.requests) == 2


def test_redirects_are_not_followed(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, upload: Upload, db: SyncDb
) -> None:
    target = RecordingReceiver()
    try:
        endpoint = register(client, tenant.admin, receiver)
        receiver.redirect_to = target.url + "/elsewhere"
        [video_id] = add_videos(client, tenant, upload, 1)
        assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
        run_once(client, deliverer_for(client))
        [row] = deliveries(db, endpoint["id"])
        assert (row.status, row.last_status_code) == ("pending", 302)
        assert target.requests == []
    finally:
        target.close()


def test_a_slow_receiver_times_out(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb
) -> None:
    slow = RecordingReceiver(delay_seconds=3.0)
    try:
        endpoint = register(client, tenant.admin, slow)
        [video_id] = add_videos(client, tenant, upload, 1)
        assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
        started = time.monotonic()
        run_once(client, deliverer_for(client, timeout_seconds=0.5))
        assert time.monotonic() - started < 2.0
        [row] = deliveries(db, endpoint["id"])
        assert (row.status, row.last_status_code, row.last_error) == ("pending", None, "timed out")
    finally:
        slow.close()


def test_destination_is_checked_again_at_delivery(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, upload: Upload, db: SyncDb
) -> None:
    """Registered while allowed; a deliverer that refuses private addresses does not send
    (as when a name resolves somewhere else by the time of delivery)."""
    endpoint = register(client, tenant.admin, receiver)
    [video_id] = add_videos(client, tenant, upload, 1)
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    run_once(client, deliverer_for(client, allow_private=False))
    [row] = deliveries(db, endpoint["id"])
    assert row.status == "pending" and (row.last_error or "").startswith("refused: ")
    assert receiver.requests == []


def test_a_worker_killed_mid_delivery_leaves_a_lease_that_runs_out(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, upload: Upload, db: SyncDb
) -> None:
    endpoint = register(client, tenant.admin, receiver)
    [video_id] = add_videos(client, tenant, upload, 1)
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    crashed, survivor = deliverer_for(client), deliverer_for(client)
    call = client.portal.call  # type: ignore[union-attr]
    [claim] = call(crashed.claim, 10)
    call(crashed.send, claim)  # sent, then the process dies before writing the outcome
    assert call(survivor.claim, 10) == []  # leased: nobody else sends it meanwhile
    make_due(db, endpoint["id"])  # the lease runs out
    assert run_once(client, survivor) == 1

    async def late_outcome() -> None:  # of the old lease: ignored
        await crashed.record(claim, await crashed.send(claim))

    call(late_outcome)
    [row] = deliveries(db, endpoint["id"])
    assert (row.status, row.attempts) == ("delivered", 2)
    first, second, _late = receiver.wait_for_count(3)
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"]


def test_deleting_the_endpoint_stops_its_deliveries(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, upload: Upload, db: SyncDb
) -> None:
    endpoint = register(client, tenant.admin, receiver)
    [video_id] = add_videos(client, tenant, upload, 1)
    receiver.default_status = 500
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    deliverer = deliverer_for(client)
    run_once(client, deliverer)
    assert (
        client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=tenant.admin).status_code == 204
    )
    assert deliveries(db, endpoint["id"]) == []
    assert run_once(client, deliverer) == 0 and len(receiver.requests) == 1


@pytest.mark.parametrize("event_type", ["video.uploaded", ""])
def test_unknown_event_types_are_a_programming_error(
    client: TestClient, tenant: Tenant, upload: Upload, db: SyncDb, event_type: str
) -> None:
    [video_id] = add_videos(client, tenant, upload, 1)

    async def emit() -> None:
        async with runtime_of(client).db.sessionmaker() as session:
            video = await videos.get_video(session, tenant.company_id, video_id)
            await emit_video_event(session, video, event_type)

    with pytest.raises(ValueError):
        client.portal.call(emit)  # type: ignore[union-attr]


def _db_now(db: SyncDb) -> Any:
    with db.sessionmaker() as session:
        return session.scalar(select(func.now()))
