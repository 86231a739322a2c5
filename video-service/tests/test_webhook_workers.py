"""Delivery loops of two replicas at once: the work is shared, every endpoint has at most
`per_endpoint` requests in flight, and a slow receiver does not hold up anyone else."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from video_testkit import SyncDb, Tenant
from webhook_testkit import add_video_rows, deliverer_for, deliveries, emit_many, register

from media_common.testing_http import RecordingReceiver
from video_service.webhook_delivery import WebhookDeliverer
from video_service.webhooks import VIDEO_READY

PER_ENDPOINT = 2
pytestmark = pytest.mark.usefixtures("quiet_outbox")


@pytest.fixture
def replicas(make_client: Callable[..., TestClient]) -> Iterator[list[WebhookDeliverer]]:
    """The delivery loops of two app instances (own engines), each running on its app's
    event loop (its own thread)."""
    apps = [make_client() for _ in range(2)]
    loops = [
        deliverer_for(app, workers=4, per_endpoint=PER_ENDPOINT, poll_seconds=0.1) for app in apps
    ]
    for app, loop in zip(apps, loops, strict=True):
        app.portal.call(loop.start)  # type: ignore[union-attr]
    yield loops
    for app, loop in zip(apps, loops, strict=True):
        app.portal.call(loop.stop)  # type: ignore[union-attr]


def test_two_replicas_share_the_deliveries(
    client: TestClient,
    new_tenant: Callable[..., Tenant],
    db: SyncDb,
    replicas: list[WebhookDeliverer],
) -> None:
    receivers = [RecordingReceiver() for _ in range(3)]
    try:
        endpoints = []
        for receiver in receivers:
            tenant = new_tenant()
            endpoints.append(register(client, tenant.admin, receiver))
            rows = add_video_rows(client, tenant.company_id, 30)
            emit_many(client, tenant.company_id, rows, VIDEO_READY)
        for receiver in receivers:
            received = receiver.wait_for_count(30, timeout=30)
            ids = Counter(r.headers["Webhook-Id"] for r in received)
            assert len(ids) == 30 and set(ids.values()) == {1}  # no crash: nothing twice
            assert receiver.max_in_flight <= PER_ENDPOINT
        deadline = time.monotonic() + 10
        for endpoint in endpoints:
            while any(d.status != "delivered" for d in deliveries(db, endpoint["id"])):
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        for receiver in receivers:
            receiver.close()


def test_a_slow_receiver_does_not_delay_another_company(
    client: TestClient,
    new_tenant: Callable[..., Tenant],
    db: SyncDb,
    replicas: list[WebhookDeliverer],
) -> None:
    slow, fast = RecordingReceiver(delay_seconds=5.0), RecordingReceiver()
    slow_tenant, fast_tenant = new_tenant(), new_tenant()
    slow_endpoint = register(client, slow_tenant.admin, slow)
    try:
        register(client, fast_tenant.admin, fast)
        backlog = add_video_rows(client, slow_tenant.company_id, 200)
        emit_many(client, slow_tenant.company_id, backlog, VIDEO_READY)
        slow.wait_for(lambda found: len(found) >= PER_ENDPOINT, timeout=10)
        [video_id] = add_video_rows(client, fast_tenant.company_id, 1)
        emitted = time.monotonic()
        emit_many(client, fast_tenant.company_id, [video_id], VIDEO_READY)
        [arrived] = fast.wait_for_count(1, timeout=10)
        assert arrived.received_at - emitted < 3.0
        assert slow.max_in_flight <= PER_ENDPOINT  # across both replicas
    finally:
        client.delete(f"/api/v1/webhooks/{slow_endpoint['id']}", headers=slow_tenant.admin)
        slow.close()
        fast.close()
