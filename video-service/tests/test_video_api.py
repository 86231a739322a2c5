"""Metadata API: list, get, patch, delete, trash, restore."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from video_testkit import FakeCompanyService, Tenant, add_videos

Upload = Callable[..., Any]


def test_list_is_newest_first_and_paginated(
    client: TestClient, tenant: Tenant, upload: Upload
) -> None:
    ids = add_videos(client, tenant, upload, 5)
    page = client.get("/api/v1/videos?limit=2&offset=1", headers=tenant.member).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [v["id"] for v in page["items"]] == [ids[3], ids[2]]
    default = client.get("/api/v1/videos", headers=tenant.member).json()
    assert default["limit"] == 20 and default["offset"] == 0
    assert [v["id"] for v in default["items"]] == ids[::-1]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "offset=-1", "offset=99999999999999999999"]
)
def test_list_rejects_bad_pagination(client: TestClient, tenant: Tenant, query: str) -> None:
    response = client.get(f"/api/v1/videos?{query}", headers=tenant.member)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_huge_offset_within_int64_is_an_empty_page(client: TestClient, tenant: Tenant) -> None:
    response = client.get(f"/api/v1/videos?offset={2**63 - 1}", headers=tenant.member)
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_get_one(client: TestClient, tenant: Tenant, uploaded: dict[str, Any]) -> None:
    response = client.get(f"/api/v1/videos/{uploaded['id']}", headers=tenant.member)
    assert response.status_code == 200
    assert response.json() == uploaded


@pytest.mark.parametrize("video_id", ["0", "-1", str(2**63), "abc", "1e3"])
def test_odd_ids_are_client_errors(client: TestClient, tenant: Tenant, video_id: str) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = client.request(method, f"/api/v1/videos/{video_id}", headers=tenant.admin)
        assert response.status_code in (404, 422), (method, response.text)
    assert client.get(f"/api/v1/videos/{2**63 - 1}", headers=tenant.admin).status_code == 404


def test_patch_changes_only_what_is_sent(
    client: TestClient, tenant: Tenant, uploaded: dict[str, Any]
) -> None:
    url = f"/api/v1/videos/{uploaded['id']}"
    response = client.patch(url, headers=tenant.admin, json={"description": "New text\nline 2"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == uploaded["title"]
    assert body["description"] == "New text\nline 2"
    assert body["updated_at"] > uploaded["updated_at"]
    response = client.patch(url, headers=tenant.admin, json={"title": " Renamed "})
    assert response.json()["title"] == "Renamed"
    assert response.json()["description"] == "New text\nline 2"
    cleared = client.patch(url, headers=tenant.admin, json={"description": None}).json()
    assert cleared["description"] is None


def test_patch_with_empty_body_changes_nothing(
    client: TestClient, tenant: Tenant, uploaded: dict[str, Any]
) -> None:
    response = client.patch(f"/api/v1/videos/{uploaded['id']}", headers=tenant.admin, json={})
    assert response.status_code == 200
    assert response.json() == uploaded


@pytest.mark.parametrize(
    "body",
    [
        {"title": None},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "x" * 100_000},
        {"title": 5},
        {"title": "tab\tin title"},
        {"title": "bidi \u202etxt"},
        {"description": "d" * 5001},
        {"description": "nul \x00 inside"},
        {"unknown": "field"},
        [],
        "just a string",
    ],
)
def test_patch_rejects_bad_input(
    client: TestClient, tenant: Tenant, uploaded: dict[str, Any], body: Any
) -> None:
    response = client.patch(f"/api/v1/videos/{uploaded['id']}", headers=tenant.admin, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_patch_rejects_broken_json(
    client: TestClient, tenant: Tenant, uploaded: dict[str, Any]
) -> None:
    response = client.patch(
        f"/api/v1/videos/{uploaded['id']}",
        headers={**tenant.admin, "Content-Type": "application/json"},
        content=b'{"title": "x"',
    )
    assert response.status_code == 422
    for raw in (b'{"title": "lone \\ud800"}', b'{"description": "\\udfff x"}'):
        response = client.patch(
            f"/api/v1/videos/{uploaded['id']}",
            headers={**tenant.admin, "Content-Type": "application/json"},
            content=raw,
        )
        assert response.status_code == 422, raw


def test_delete_hides_the_video_and_twice_is_404(
    client: TestClient, tenant: Tenant, uploaded: dict[str, Any]
) -> None:
    url = f"/api/v1/videos/{uploaded['id']}"
    assert client.delete(url, headers=tenant.admin).status_code == 204
    assert client.get(url, headers=tenant.member).status_code == 404
    assert client.get("/api/v1/videos", headers=tenant.member).json()["total"] == 0
    assert client.get(f"{url}/stream", headers=tenant.member).status_code == 404
    assert client.patch(url, headers=tenant.admin, json={"title": "x"}).status_code == 404
    second = client.delete(url, headers=tenant.admin)
    assert second.status_code == 404 and second.json()["code"] == "NOT_FOUND"
    storage = client.app.state.runtime.storage  # type: ignore[attr-defined]
    assert len(list(storage.list_keys("videos/"))) == 1  # the bytes are kept


def test_trash_is_for_admins(client: TestClient, tenant: Tenant, uploaded: dict[str, Any]) -> None:
    client.delete(f"/api/v1/videos/{uploaded['id']}", headers=tenant.admin)
    trash = client.get("/api/v1/videos?deleted=true", headers=tenant.admin).json()
    assert [v["id"] for v in trash["items"]] == [uploaded["id"]]
    assert trash["items"][0]["deleted_at"] is not None
    response = client.get("/api/v1/videos?deleted=true", headers=tenant.member)
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    live = client.get("/api/v1/videos?deleted=false", headers=tenant.member).json()
    assert live["total"] == 0


@pytest.mark.parametrize(("plan", "status"), [("paid", 200), ("free", 403)])
def test_restore_needs_a_paid_plan(
    make_client: Callable[..., TestClient],
    new_tenant: Callable[..., Tenant],
    upload: Upload,
    plan: str,
    status: int,
) -> None:
    client = make_client()
    tenant = new_tenant(plan)
    [video_id] = add_videos(client, tenant, upload, 1)
    client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin)
    response = client.post(f"/api/v1/videos/{video_id}/restore", headers=tenant.admin)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["deleted_at"] is None
        assert client.get(f"/api/v1/videos/{video_id}", headers=tenant.member).status_code == 200
    else:
        assert response.json()["code"] == "PLAN_REQUIRED"
        assert client.get(f"/api/v1/videos/{video_id}", headers=tenant.member).status_code == 404


def test_restore_after_the_paid_plan_expired(
    client: TestClient,
    new_tenant: Callable[..., Tenant],
    upload: Upload,
    companies: FakeCompanyService,
) -> None:
    tenant = new_tenant("paid")
    [video_id] = add_videos(client, tenant, upload, 1)
    client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin)
    companies.plans[tenant.company_id] = "free"  # company-service: expired → effective free
    response = client.post(f"/api/v1/videos/{video_id}/restore", headers=tenant.admin)
    assert response.status_code == 403 and response.json()["code"] == "PLAN_REQUIRED"


def test_restore_of_a_live_video_is_409(
    client: TestClient, new_tenant: Callable[..., Tenant], upload: Upload
) -> None:
    tenant = new_tenant("paid")
    [video_id] = add_videos(client, tenant, upload, 1)
    response = client.post(f"/api/v1/videos/{video_id}/restore", headers=tenant.admin)
    assert response.status_code == 409 and response.json()["code"] == "CONFLICT"


def test_restore_when_company_service_fails_is_503(
    make_client: Callable[..., TestClient],
    new_tenant: Callable[..., Tenant],
    upload: Upload,
    companies: FakeCompanyService,
) -> None:
    client = make_client()
    tenant = new_tenant("paid")
    [video_id] = add_videos(client, tenant, upload, 1)
    client.delete(f"/api/v1/videos/{video_id}", headers=tenant.admin)
    companies.failing = True
    try:
        response = client.post(f"/api/v1/videos/{video_id}/restore", headers=tenant.admin)
    finally:
        companies.failing = False
    assert response.status_code == 503 and response.json()["code"] == "SERVICE_UNAVAILABLE"
    down = make_client(company_service_url="http://127.0.0.1:9")  # nothing listens there
    response = down.post(f"/api/v1/videos/{video_id}/restore", headers=tenant.admin)
    assert response.status_code == 503 and response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert client.get(f"/api/v1/videos/{video_id}", headers=tenant.admin).status_code == 404


def test_concurrent_deletes_and_restores_each_win_once(
    client: TestClient, new_tenant: Callable[..., Tenant], upload: Upload
) -> None:
    tenant = new_tenant("paid")
    [video_id] = add_videos(client, tenant, upload, 1)
    url = f"/api/v1/videos/{video_id}"

    def run(method: str, path: str) -> list[int]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [
                pool.submit(client.request, method, path, headers=tenant.admin) for _ in range(16)
            ]
            return sorted(f.result().status_code for f in futures)

    assert run("DELETE", url) == [204] + [404] * 15
    assert run("POST", f"{url}/restore") == [200] + [409] * 15
