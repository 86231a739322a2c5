"""Sign-up: validation, uniqueness, company checks and the first-admin rule."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from user_factories import PASSWORD, Factory, free_port, random_email

from user_service import accounts
from user_service.main import create_app
from user_service.settings import Settings


def test_first_user_is_admin_later_ones_members(make: Factory) -> None:
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


def test_email_is_lower_cased_and_unique_ignoring_case(make: Factory, client: TestClient) -> None:
    email = random_email("Case")
    user = make.signup(email=f"  {email.upper()} ")
    assert user["email"] == email.lower()
    again = client.post(
        "/api/v1/users",
        json={"email": email.swapcase(), "password": PASSWORD, "company_id": make.company()},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "not-an-email"},
        {"email": "a@b"},
        {"email": "a b@example.com"},
        {"email": "ada@exämple.com"},
        {"email": 42},
        {"password": "short"},
        {"password": "é" * 37},  # 74 bytes: over bcrypt's 72
        {"password": "pass\x00word1"},
        {"company_id": "1"},
        {"company_id": 0},
        {"company_id": 2**63},
        {"company_id": 10**30},
        {"company_id": 1.5},
        {"company_id": True},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "bell\x07"},
        {"name": "c1\x85control"},
        {"name": "x" * 100_000},
        {"points": 100},
        {"role": "admin"},
    ],
)
def test_invalid_sign_up_is_422(make: Factory, client: TestClient, changes: dict[str, Any]) -> None:
    body = {"email": random_email(), "password": PASSWORD, "company_id": make.company(), **changes}
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error) == {"code", "message", "details", "request_id"}


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b'"x"', b"null", b"\xff\xfe", b'{"email": "\\ud800"}']
)
def test_malformed_json_is_422(client: TestClient, raw: bytes) -> None:
    response = client.post(
        "/api/v1/users", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_lone_surrogate_in_a_name_is_422(make: Factory, client: TestClient) -> None:
    raw = (
        f'{{"email": "{random_email()}", "password": "{PASSWORD}", '
        f'"company_id": {make.company()}, "name": "x\\udc00y"}}'
    )
    response = client.post(
        "/api/v1/users", content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_name_is_nfc_normalised(make: Factory) -> None:
    assert make.signup(name="Ame\u0301lie")["name"] == "Am\u00e9lie"


def test_unknown_or_deactivated_company_is_404(make: Factory, client: TestClient) -> None:
    for company_id in (make.company("inactive"), 987_654_321):
        body = {"email": random_email(), "password": PASSWORD, "company_id": company_id}
        response = client.post("/api/v1/users", json=body)
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


def test_company_service_unreachable_is_503(user_settings: Settings) -> None:
    settings = user_settings.model_copy(
        update={"company_service_url": f"http://127.0.0.1:{free_port()}"}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        body = {"email": random_email(), "password": PASSWORD, "company_id": 1}
        response = client.post("/api/v1/users", json=body)
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


def test_deleted_users_email_can_sign_up_again(make: Factory, client: TestClient) -> None:
    account = make.account()
    assert client.delete(f"/api/v1/users/{account.id}", headers=account.headers).status_code == 204
    again = make.signup(email=account.email)
    assert again["id"] != account.id


def test_racing_sign_ups_make_exactly_one_admin(make: Factory, live_url: str) -> None:
    company_id = make.company()

    def sign_up(_: int) -> requests.Response:
        body = {"email": random_email("race"), "password": PASSWORD, "company_id": company_id}
        return requests.post(f"{live_url}/api/v1/users", json=body, timeout=30)

    with ThreadPoolExecutor(max_workers=40) as pool:
        responses = list(pool.map(sign_up, range(40)))
    assert [r.status_code for r in responses] == [201] * 40
    roles = sorted(r.json()["role"] for r in responses)
    assert roles == ["admin"] + ["member"] * 39


def test_racing_sign_ups_with_one_email_make_one_user(make: Factory, live_url: str) -> None:
    body = {"email": random_email("same"), "password": PASSWORD, "company_id": make.company()}

    def sign_up(_: int) -> int:
        return requests.post(f"{live_url}/api/v1/users", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(sign_up, range(20)))
    assert statuses == [201] + [409] * 19


def test_the_unique_index_decides_a_race_past_the_check(
    make: Factory, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make.signup()
    # As if a concurrent sign-up committed the same email right after our check.
    monkeypatch.setattr(accounts, "_email_taken", lambda *_: False)
    body = {"email": user["email"], "password": PASSWORD, "company_id": user["company_id"]}
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 409 and response.json()["code"] == "CONFLICT"
