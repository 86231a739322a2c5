"""The webhook API: register, list, delete, deliveries; admins only, tenant-scoped; SSRF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from video_testkit import SyncDb, Tenant, add_videos
from webhook_testkit import deliverer_for, register, runtime_of

from media_common.testing_http import RecordingReceiver
from video_service.webhook_models import WebhookEndpoint
from video_service.webhooks import EVENT_TYPES, MAX_ENDPOINTS_PER_COMPANY

ERROR_KEYS = {"code", "message", "details", "request_id"}
pytestmark = pytest.mark.usefixtures("quiet_outbox")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == code, body
    return dict(body)


def test_register_list_delete(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver
) -> None:
    created = register(client, tenant.admin, receiver)
    assert set(created) == {"id", "url", "events", "secret", "created_at"}
    assert created["url"] == receiver.url + "/hook"
    assert created["events"] == list(EVENT_TYPES)  # all by default
    assert created["secret"].startswith("whsec_")
    assert created["created_at"].endswith("+00:00")
    second = register(client, tenant.admin, receiver, ["video.ready"], path="/other")
    page = client.get("/api/v1/webhooks", headers=tenant.admin).json()
    assert page["total"] == 2 and (page["limit"], page["offset"]) == (20, 0)
    assert [item["id"] for item in page["items"]] == [second["id"], created["id"]]
    assert all("secret" not in item for item in page["items"])
    assert page["items"][0]["events"] == ["video.ready"]
    one = client.get("/api/v1/webhooks?limit=1&offset=1", headers=tenant.admin).json()
    assert [item["id"] for item in one["items"]] == [created["id"]]
    assert (
        client.delete(f"/api/v1/webhooks/{created['id']}", headers=tenant.admin).status_code == 204
    )
    assert_error(
        client.delete(f"/api/v1/webhooks/{created['id']}", headers=tenant.admin), 404, "NOT_FOUND"
    )
    assert client.get("/api/v1/webhooks", headers=tenant.admin).json()["total"] == 1


def test_secret_is_stored_only_encrypted(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver, db: SyncDb
) -> None:
    created = register(client, tenant.admin, receiver)
    with db.sessionmaker() as session:
        row = session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id == created["id"])
        ).one()
    assert created["secret"].encode() not in row.secret_ciphertext
    box = runtime_of(client).webhook_secrets
    assert box.open(row.secret_ciphertext, tenant.company_id) == created["secret"]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://127.0.0.1:9/x", "events": []},
        {"url": "http://127.0.0.1:9/x", "events": ["video.uploaded"]},
        {"url": "http://127.0.0.1:9/x", "events": ["video.ready", "video.ready"]},
        {"url": "http://127.0.0.1:9/x", "events": "video.ready"},
        {"url": "http://127.0.0.1:9/x", "secret": "mine"},
        {"url": ""},
        {"url": "http://127.0.0.1:9/" + "a" * 2048},
        {"url": "ftp://127.0.0.1/x"},
        {"url": "http://user:pw@127.0.0.1/x"},
        {"url": 12},
        {},
    ],
)
def test_bad_bodies_are_422(client: TestClient, tenant: Tenant, body: dict[str, Any]) -> None:
    assert_error(
        client.post("/api/v1/webhooks", headers=tenant.admin, json=body), 422, "VALIDATION_ERROR"
    )


def test_same_url_twice_is_409_and_the_count_is_capped(
    client: TestClient, tenant: Tenant, receiver: RecordingReceiver
) -> None:
    register(client, tenant.admin, receiver)
    again = client.post(
        "/api/v1/webhooks", headers=tenant.admin, json={"url": receiver.url + "/hook"}
    )
    assert_error(again, 409, "CONFLICT")
    for n in range(1, MAX_ENDPOINTS_PER_COMPANY):
        register(client, tenant.admin, receiver, path=f"/hook{n}")
    over = client.post("/api/v1/webhooks", headers=tenant.admin, json={"url": receiver.url + "/x"})
    assert_error(over, 409, "CONFLICT")


def test_admins_only(client: TestClient, tenant: Tenant, receiver: RecordingReceiver) -> None:
    created = register(client, tenant.admin, receiver)
    body = {"url": receiver.url + "/m"}
    assert_error(
        client.post("/api/v1/webhooks", headers=tenant.member, json=body), 403, "FORBIDDEN"
    )
    assert_error(client.get("/api/v1/webhooks", headers=tenant.member), 403, "FORBIDDEN")
    assert_error(
        client.delete(f"/api/v1/webhooks/{created['id']}", headers=tenant.member), 403, "FORBIDDEN"
    )
    assert_error(
        client.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=tenant.member),
        403,
        "FORBIDDEN",
    )
    assert_error(client.get("/api/v1/webhooks"), 401, "UNAUTHORIZED")
    assert_error(client.post("/api/v1/webhooks", json=body), 401, "UNAUTHORIZED")


def test_another_companys_webhook_is_404(
    client: TestClient, new_tenant: Callable[..., Tenant], receiver: RecordingReceiver
) -> None:
    owner, other = new_tenant(), new_tenant()
    created = register(client, owner.admin, receiver)
    path = f"/api/v1/webhooks/{created['id']}"
    assert_error(client.get(f"{path}/deliveries", headers=other.admin), 404, "NOT_FOUND")
    assert_error(client.delete(path, headers=other.admin), 404, "NOT_FOUND")
    assert client.get("/api/v1/webhooks", headers=other.admin).json()["total"] == 0
    # Other company's URL is free for this one (no leak through a 409 either).
    register(client, other.admin, receiver)
    assert client.get(f"{path}/deliveries", headers=owner.admin).status_code == 200


@pytest.mark.parametrize("webhook_id", ["0", "-1", "abc", str(2**63)])
def test_bad_ids_are_422(client: TestClient, tenant: Tenant, webhook_id: str) -> None:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=tenant.admin)
    assert_error(response, 422, "VALIDATION_ERROR")


def test_deliveries_list(
    client: TestClient,
    new_tenant: Callable[..., Tenant],
    receiver: RecordingReceiver,
    upload: Callable[..., Any],
) -> None:
    tenant = new_tenant("paid")
    created = register(client, tenant.admin, receiver)
    [video_id] = add_videos(client, tenant, upload, 1)
    assert client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 204
    assert (
        client.post(f"/api/v1/videos/{video_id}/restore", headers=tenant.admin).status_code == 200
    )
    path = f"/api/v1/webhooks/{created['id']}/deliveries"
    page = client.get(path, headers=tenant.admin).json()
    assert page["total"] == 2
    assert [d["type"] for d in page["items"]] == ["video.restored", "video.deleted"]
    for item in page["items"]:
        assert (item["status"], item["attempts"], item["last_status_code"]) == ("pending", 0, None)
        assert item["next_attempt_at"] is not None
    receiver.script.append(500)  # the first request (the oldest event: deleted) fails
    assert client.portal.call(deliverer_for(client).run_once) == 2  # type: ignore[union-attr]
    restored, deleted = client.get(path, headers=tenant.admin).json()["items"]
    assert set(deleted) == {
        "id", "event_id", "type", "status", "attempts", "last_status_code", "last_error",
        "next_attempt_at", "created_at", "delivered_at",
    }  # fmt: skip
    assert (deleted["status"], deleted["attempts"], deleted["last_status_code"]) == (
        "pending",
        1,
        500,
    )
    assert deleted["last_error"] == "answered 500" and deleted["next_attempt_at"] is not None
    assert (restored["status"], restored["attempts"], restored["last_status_code"]) == (
        "delivered",
        1,
        200,
    )
    assert restored["next_attempt_at"] is None and restored["delivered_at"] is not None
    one = client.get(f"{path}?limit=1&offset=1", headers=tenant.admin).json()
    assert [d["id"] for d in one["items"]] == [deleted["id"]]


SSRF_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://10.1.2.3/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0/hook",
    "http://2130706433/hook",
    "https://no-such-host.invalid/hook",
]


@pytest.mark.parametrize("url", SSRF_URLS)
def test_private_destinations_are_refused_without_allow_private(
    make_client: Callable[..., TestClient], tenant: Tenant, url: str
) -> None:
    strict = make_client(webhook_allow_private=False)
    response = strict.post("/api/v1/webhooks", headers=tenant.admin, json={"url": url})
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert body["details"][0]["loc"] == ["body", "url"]
    assert strict.get("/api/v1/webhooks", headers=tenant.admin).json()["total"] == 0


def test_public_address_is_accepted_without_allow_private(
    make_client: Callable[..., TestClient], tenant: Tenant
) -> None:
    strict = make_client(webhook_allow_private=False)
    response = strict.post(
        "/api/v1/webhooks", headers=tenant.admin, json={"url": "https://93.184.215.14/hook"}
    )
    assert response.status_code == 201, response.text


def test_metadata_address_is_refused_even_with_allow_private(
    client: TestClient, tenant: Tenant
) -> None:
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/"):
        response = client.post("/api/v1/webhooks", headers=tenant.admin, json={"url": url})
        assert_error(response, 422, "VALIDATION_ERROR")
