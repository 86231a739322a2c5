"""Who may do what: members vs admins, other companies (404 for every verb), bad tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from video_testkit import Tenant

Upload = Callable[..., Any]


def test_members_cannot_change_anything(
    client: TestClient, tenant: Tenant, uploaded: dict[str, Any]
) -> None:
    url = f"/api/v1/videos/{uploaded['id']}"
    for method, path, body in [
        ("PATCH", url, {"title": "x"}),
        ("DELETE", url, None),
        ("POST", f"{url}/restore", None),
    ]:
        response = client.request(method, path, headers=tenant.member, json=body)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "FORBIDDEN"


def test_another_company_sees_404_for_every_verb(
    client: TestClient,
    tenant: Tenant,
    new_tenant: Callable[..., Tenant],
    uploaded: dict[str, Any],
) -> None:
    other = new_tenant("paid")
    url = f"/api/v1/videos/{uploaded['id']}"
    calls = [
        ("GET", url, None),
        ("PATCH", url, {"title": "mine now"}),
        ("DELETE", url, None),
        ("POST", f"{url}/restore", None),
        ("GET", f"{url}/stream", None),
        ("HEAD", f"{url}/stream", None),
        ("POST", f"{url}/playback", None),
    ]
    for method, path, body in calls:
        response = client.request(method, path, headers=other.admin, json=body)
        assert response.status_code == 404, (method, path, response.status_code)
        if method != "HEAD":
            assert response.json()["code"] == "NOT_FOUND"
    assert client.get("/api/v1/videos", headers=other.admin).json()["total"] == 0
    assert client.get(url, headers=tenant.member).json()["title"] == uploaded["title"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ],
)
def test_bad_credentials_are_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/api/v1/videos", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert "X-Request-ID" in response.headers


def test_expired_access_token_is_401(client: TestClient, jwks: Any) -> None:
    token = jwks.mint(1, 1, "admin", ttl=-10)
    response = client.get("/api/v1/videos", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_openapi_and_health(client: TestClient) -> None:
    spec = client.get("/openapi/video.json").json()
    assert "/api/v1/videos/{video_id}/stream" in spec["paths"]
    assert client.get("/docs/video").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
