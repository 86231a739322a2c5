"""Webhooks on the real stack (two video-service replicas behind nginx): signed delivery,
tenancy, SSRF refusals, a SIGKILL of every replica mid-delivery, and a slow receiver that
does not delay another company."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from media_common.testing_http import RecordingReceiver
from tests.support.client import Api, Member, assert_error, sample_video
from tests.support.stack import Stack
from tests.support.webhooks import (
    end_leases,
    register,
    verify_webhook,
    wait_settled,
)


@pytest.fixture
def receiver() -> Iterator[RecordingReceiver]:
    server = RecordingReceiver()
    yield server
    server.close()


def paid_admin(api: Api) -> Member:
    _, admin = api.company_with_admin()
    api.set_plan(admin, "paid", (datetime.now(UTC) + timedelta(days=30)).isoformat())
    return admin


def delete_and_restore(api: Api, admin: Member, video_id: int) -> None:
    assert api.request("DELETE", f"/api/v1/videos/{video_id}", headers=admin.headers).ok
    assert api.post(f"/api/v1/videos/{video_id}/restore", headers=admin.headers).ok


def test_deleted_and_restored_arrive_signed(api: Api, receiver: RecordingReceiver) -> None:
    admin = paid_admin(api)
    hook = register(api, admin, receiver)
    video = api.upload(admin)
    delete_and_restore(api, admin, video["id"])
    received = receiver.wait_for_count(2, timeout=15)
    bodies = [json.loads(r.body) for r in received]
    assert sorted(b["type"] for b in bodies) == ["video.deleted", "video.restored"]
    verify = verify_webhook()
    for request, body in zip(received, bodies, strict=True):
        assert verify(hook["secret"], request.headers["Webhook-Signature"], request.body)
        assert request.headers["Webhook-Id"] == str(body["id"])
        assert body["data"]["id"] == video["id"]
    items = wait_settled(api, admin, hook["id"])
    assert [(i["status"], i["attempts"], i["last_status_code"]) for i in items] == [
        ("delivered", 1, 200),
        ("delivered", 1, 200),
    ]
    assert {i["event_id"] for i in items} == {b["id"] for b in bodies}


def test_another_companys_webhook_is_404(api: Api, receiver: RecordingReceiver) -> None:
    _, owner = api.company_with_admin()
    _, other = api.company_with_admin()
    hook = register(api, owner, receiver)
    path = f"/api/v1/webhooks/{hook['id']}"
    assert_error(api.get(f"{path}/deliveries", headers=other.headers), 404, "NOT_FOUND")
    assert_error(api.request("DELETE", path, headers=other.headers), 404, "NOT_FOUND")
    assert api.get("/api/v1/webhooks", headers=other.headers).json()["total"] == 0
    assert api.get(f"{path}/deliveries", headers=owner.headers).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "ftp://example.com/", "http://[fd00:ec2::254]/"],
)
def test_refused_urls_through_the_gateway(api: Api, url: str) -> None:
    """The local stack allows private receivers; metadata and non-http(s) stay refused
    (the full private-address rule is proven on an app without WEBHOOK_ALLOW_PRIVATE)."""
    _, admin = api.company_with_admin()
    resp = api.post("/api/v1/webhooks", headers=admin.headers, json={"url": url})
    assert_error(resp, 422, "VALIDATION_ERROR")


def test_delivery_survives_sigkill_of_every_replica(
    api: Api, stack: Stack, receiver: RecordingReceiver
) -> None:
    _, admin = api.company_with_admin()
    hook = register(api, admin, receiver, events=["video.deleted"])
    video = api.upload(admin)
    receiver.hold()  # the first attempt hangs in the receiver...
    assert api.request("DELETE", f"/api/v1/videos/{video['id']}", headers=admin.headers).ok
    [first] = receiver.wait_for_count(1, timeout=15)
    stack.kill("video-service")  # ...while every replica is SIGKILLed
    receiver.release()
    end_leases(stack, hook["id"])  # the dead replica's lease runs out
    stack.start("video-service")  # both replicas again, from scratch
    received = receiver.wait_for_count(2, timeout=30)
    assert received[1].headers["Webhook-Id"] == first.headers["Webhook-Id"]
    assert received[1].body == first.body
    verify = verify_webhook()
    assert verify(hook["secret"], received[1].headers["Webhook-Signature"], received[1].body)
    [done] = wait_settled(api, admin, hook["id"])
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 2, 200)


def test_a_slow_receiver_does_not_delay_another_company(api: Api) -> None:
    slow, fast = RecordingReceiver(delay_seconds=5.0), RecordingReceiver()
    busy = paid_admin(api)
    slow_hook = register(api, busy, slow, events=["video.deleted", "video.restored"])
    try:
        videos = [api.upload(busy, title=f"v{n}")["id"] for n in range(4)]

        def cycles(video_id: int) -> None:
            for _ in range(25):
                delete_and_restore(api, busy, video_id)

        with ThreadPoolExecutor(len(videos)) as pool:
            list(pool.map(cycles, videos))  # 200 events for the slow receiver
        slow.wait_for(lambda found: len(found) >= 2, timeout=15)
        _, other = api.company_with_admin()
        register(api, other, fast)
        video = api.upload(other)
        started = time.monotonic()
        assert api.request("DELETE", f"/api/v1/videos/{video['id']}", headers=other.headers).ok
        [arrived] = fast.wait_for_count(1, timeout=30)
        assert arrived.received_at - started < 3.0
        assert slow.max_in_flight <= 2  # WEBHOOK_ENDPOINT_CONCURRENCY, across both replicas
        pending = api.get(f"/api/v1/webhooks/{slow_hook['id']}/deliveries", headers=busy.headers)
        assert pending.json()["total"] == 200
    finally:
        api.request("DELETE", f"/api/v1/webhooks/{slow_hook['id']}", headers=busy.headers)
        slow.close()
        fast.close()


def test_pipeline_outcomes_arrive_as_ready_and_failed(
    api: Api, receiver: RecordingReceiver, tmp_path: Path
) -> None:
    """The media pipeline (real workers, ffmpeg) ends a good upload `ready` and a broken
    one `failed`; each status change reaches the receiver, signed."""
    _, admin = api.company_with_admin()
    hook = register(api, admin, receiver, events=["video.ready", "video.failed"])
    good = api.upload(admin, sample_video(), title="good")
    broken_file = tmp_path / "broken.mp4"
    ftyp = sample_video().read_bytes()[:32]  # a real MP4's first box, then no movie at all
    broken_file.write_bytes(ftyp + bytes(range(256)) * 40)
    broken = api.upload(admin, broken_file, title="broken")
    received = receiver.wait_for_count(2, timeout=180)
    outcomes = {json.loads(r.body)["data"]["id"]: json.loads(r.body) for r in received}
    assert outcomes[good["id"]]["type"] == "video.ready"
    assert outcomes[good["id"]]["data"]["status"] == "ready"
    assert outcomes[broken["id"]]["type"] == "video.failed"
    assert outcomes[broken["id"]]["data"]["status"] == "failed"
    verify = verify_webhook()
    assert all(verify(hook["secret"], r.headers["Webhook-Signature"], r.body) for r in received)
