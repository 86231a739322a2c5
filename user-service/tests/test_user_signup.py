"""Joining: founders, invitations, validation, uniqueness, company checks and races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from user_factories import PASSWORD, SERVICE, Factory, founder_url, free_port, random_email

from user_service import accounts
from user_service.main import create_app
from user_service.settings import Settings


def join(client: TestClient, token: str, **fields: Any) -> Any:
    return client.post(
        "/api/v1/users", json={"invitation_token": token, "password": PASSWORD, **fields}
    )


def test_founder_is_admin_invited_users_get_the_invitations_role(make: Factory) -> None:
    company_id = make.company()
    first = make.signup(company_id, name="  Ada  ")
    second = make.signup(company_id)
    assert first["role"] == "admin" and second["role"] == "member"
    assert first["name"] == "Ada" and second["name"] is None
    assert set(first) == {
        "id", "email", "name", "company_id", "role", "points", "created_at", "updated_at"
    }  # fmt: skip
    assert first["points"] == 0 and first["company_id"] == company_id
    created_at = datetime.fromisoformat(first["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    invitation = make.invite(company_id, role="admin")
    third = join(make.client, invitation["token"]).json()
    assert (third["role"], third["email"]) == ("admin", invitation["email"])


def test_founding_is_idempotent_and_cancellable(make: Factory, client: TestClient) -> None:
    company_id = make.company()
    body = {"email": random_email("f"), "password": PASSWORD}
    created = client.put(founder_url(company_id), json=body, headers=SERVICE)
    again = client.put(founder_url(company_id), json=body, headers=SERVICE)
    assert (created.status_code, again.status_code) == (201, 200)
    assert created.json()["id"] == again.json()["id"]
    other = client.put(
        founder_url(company_id), json={**body, "email": random_email()}, headers=SERVICE
    )
    assert other.status_code == 409
    assert client.delete(founder_url(company_id), headers=SERVICE).status_code == 204
    login = client.post("/api/v1/auth/login", json=body)
    assert login.status_code == 401  # the founder is gone, its email free
    late = client.put(founder_url(company_id), json=body, headers=SERVICE)
    assert late.status_code == 409  # a cancelled founding stays cancelled
    fresh = make.company()
    assert client.delete(founder_url(fresh), headers=SERVICE).status_code == 204
    assert client.put(founder_url(fresh), json=body, headers=SERVICE).status_code == 409
    assert client.put(founder_url(make.company()), json=body, headers=SERVICE).status_code == 201


def test_email_is_lower_cased_and_unique_ignoring_case(make: Factory, client: TestClient) -> None:
    email = random_email("Case")
    user = make.signup(email=f"  {email.upper()} ")
    assert user["email"] == email.lower()
    again = client.put(
        founder_url(make.company()),
        json={"email": email.swapcase(), "password": PASSWORD},
        headers=SERVICE,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"
    admin = make.account()
    invited = client.post(
        "/api/v1/invitations", json={"email": email.upper()}, headers=admin.headers
    )
    assert invited.status_code == 409


@pytest.mark.parametrize(
    "changes",
    [
        {"password": "short"},
        {"password": "é" * 129},  # over 128 characters
        {"password": "pass\x00word1"},
        {"invitation_token": ""},
        {"invitation_token": "not a token"},
        {"invitation_token": 42},
        {"company_id": 1},
        {"email": "ann@example.com"},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "bell\x07"},
        {"name": "c1\x85control"},
        {"name": "Ann\u202egnirts"},
        {"name": "zero\u200bwidth"},
        {"name": "\ufeffBOM"},
        {"name": "x" * 100_000},
        {"points": 100},
        {"role": "admin"},
    ],
)
def test_invalid_sign_up_is_422(make: Factory, client: TestClient, changes: dict[str, Any]) -> None:
    invitation = make.invite(make.company())
    body = {"invitation_token": invitation["token"], "password": PASSWORD, **changes}
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error) == {"code", "message", "details", "request_id"}
    assert join(client, invitation["token"]).status_code == 201  # nothing was used up


def test_the_old_open_sign_up_body_is_422(make: Factory, client: TestClient) -> None:
    body = {"email": random_email(), "password": PASSWORD, "company_id": make.company()}
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b'"x"', b"null", b"\xff\xfe", b'{"invitation_token": "\\ud800"}']
)
def test_malformed_json_is_422(client: TestClient, raw: bytes) -> None:
    response = client.post(
        "/api/v1/users", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_lone_surrogate_in_a_name_is_422(make: Factory, client: TestClient) -> None:
    token = make.invite(make.company())["token"]
    raw = f'{{"invitation_token": "{token}", "password": "{PASSWORD}", "name": "x\\udc00y"}}'
    response = client.post(
        "/api/v1/users", content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_name_is_nfc_normalised(make: Factory) -> None:
    assert make.signup(name="Ame\u0301lie")["name"] == "Am\u00e9lie"


def test_unusable_invitations_and_companies_are_403(
    make: Factory, client: TestClient, engine: Engine
) -> None:
    company_id = make.company()
    unknown = join(client, "A" * 43)
    assert unknown.status_code == 403 and unknown.json()["code"] == "FORBIDDEN"
    expired = make.invite(company_id)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE identity.invitations SET expires_at = now() WHERE id = :id"),
            {"id": expired["id"]},
        )
    assert join(client, expired["token"]).status_code == 403
    pending = make.invite(company_id)
    make.companies.statuses[company_id] = "inactive"
    assert join(client, pending["token"]).status_code == 403


def test_company_service_unreachable_is_503(make: Factory, user_settings: Settings) -> None:
    invitation = make.invite(make.company())
    settings = user_settings.model_copy(
        update={"company_service_url": f"http://127.0.0.1:{free_port()}"}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = join(client, invitation["token"])
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert join(make.client, invitation["token"]).status_code == 201


def test_invitations_list_replace_and_revoke(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    email = random_email("inv")
    first = client.post("/api/v1/invitations", json={"email": email}, headers=admin.headers)
    assert first.status_code == 201 and first.headers["cache-control"] == "no-store"
    second = client.post(
        "/api/v1/invitations", json={"email": email, "role": "admin"}, headers=admin.headers
    )
    listed = client.get("/api/v1/invitations", headers=admin.headers).json()
    assert [i["id"] for i in listed["items"]] == [second.json()["id"]]
    assert "token" not in listed["items"][0] and listed["total"] == 1
    assert join(client, first.json()["token"]).status_code == 403  # replaced
    url = f"/api/v1/invitations/{second.json()['id']}"
    assert client.delete(url, headers=member.headers).status_code == 403
    assert client.get("/api/v1/invitations", headers=member.headers).status_code == 403
    assert client.delete(url, headers=admin.headers).status_code == 204
    assert client.delete(url, headers=admin.headers).status_code == 404
    assert join(client, second.json()["token"]).status_code == 403  # revoked
    other_admin = make.account()
    foreign = client.post(
        "/api/v1/invitations", json={"email": random_email()}, headers=admin.headers
    )
    stranger = f"/api/v1/invitations/{foreign.json()['id']}"
    assert client.delete(stranger, headers=other_admin.headers).status_code == 404


def test_deleted_users_email_can_be_invited_again(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    assert client.delete(f"/api/v1/users/{member.id}", headers=member.headers).status_code == 204
    again = make.signup(admin.company_id, email=member.email)
    assert again["id"] != member.id


def test_one_invitation_used_twice_at_once_makes_one_user(make: Factory, live_url: str) -> None:
    token = make.invite(make.company())["token"]

    def sign_up(_: int) -> int:
        body = {"invitation_token": token, "password": PASSWORD}
        return requests.post(f"{live_url}/api/v1/users", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(sign_up, range(20)))
    assert statuses == [201] + [403] * 19


def test_two_invitations_of_one_email_at_once_make_one_user(make: Factory, live_url: str) -> None:
    email = random_email("same")
    tokens = [make.invite(make.company(), email)["token"] for _ in range(8)]

    def sign_up(token: str) -> int:
        body = {"invitation_token": token, "password": PASSWORD}
        return requests.post(f"{live_url}/api/v1/users", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(sign_up, tokens))
    assert statuses == [201] + [409] * 7


def test_the_unique_index_decides_a_race_past_the_check(
    make: Factory, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = random_email("late")
    token = make.invite(make.company(), email)["token"]
    make.signup(make.company(), email=email)  # the email became a user meanwhile

    async def not_taken(*_: Any) -> bool:
        return False

    monkeypatch.setattr(accounts, "_email_taken", not_taken)
    response = join(client, token)
    assert response.status_code == 409 and response.json()["code"] == "CONFLICT"
