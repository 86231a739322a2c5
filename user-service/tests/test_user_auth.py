"""Login, the OAuth2 token form, refresh rotation, logout and company/account checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import bcrypt
import requests
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from user_factories import PASSWORD, Factory, bearer, free_port, random_email

from user_service.main import create_app
from user_service.settings import Settings


def refresh(client: TestClient, token: str) -> requests.Response:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_login_returns_a_token_pair(make: Factory, client: TestClient) -> None:
    user = make.signup()
    tokens = make.login(user["email"].upper())
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == user["id"]


def test_wrong_password_and_unknown_email_get_the_same_answer(
    make: Factory, client: TestClient
) -> None:
    user = make.signup()
    answers = [
        client.post("/api/v1/auth/login", json={"email": email, "password": password})
        for email, password in [
            (user["email"], "wrong password"),
            (random_email("nobody"), PASSWORD),
            (user["email"], "é" * 100),  # a long password that is not theirs
        ]
    ]
    assert {a.status_code for a in answers} == {401}
    assert {(a.json()["code"], a.json()["message"]) for a in answers} == {
        ("INVALID_CREDENTIALS", "Wrong email or password")
    }


def test_login_body_is_validated(client: TestClient) -> None:
    for body in ({"email": "x@example.com"}, {"email": 1, "password": "x"}, {}):
        assert client.post("/api/v1/auth/login", json=body).status_code == 422


def test_token_form_for_swagger(make: Factory, client: TestClient) -> None:
    user = make.signup()
    form = {"grant_type": "password", "username": user["email"], "password": PASSWORD}
    response = client.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200 and response.json()["token_type"] == "bearer"
    wrong = client.post("/api/v1/auth/token", data={**form, "password": "nope nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "INVALID_CREDENTIALS"
    assert client.post("/api/v1/auth/token", data={"username": "x"}).status_code == 422


def test_openapi_offers_the_password_flow(client: TestClient) -> None:
    schemes = client.get("/openapi/user.json").json()["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "/api/v1/auth/token"
    )
    assert client.get("/docs/user").status_code == 200


def test_refresh_rotates_the_token(make: Factory, client: TestClient) -> None:
    account = make.account()
    first = refresh(client, account.refresh_token)
    assert first.status_code == 200
    pair = first.json()
    assert pair["refresh_token"] != account.refresh_token
    assert client.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 200
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_reusing_a_refresh_token_revokes_its_family(make: Factory, client: TestClient) -> None:
    account = make.account()
    other_login = make.login(account.email)
    newer = refresh(client, account.refresh_token).json()["refresh_token"]

    reused = refresh(client, account.refresh_token)
    assert reused.status_code == 401 and reused.json()["code"] == "UNAUTHORIZED"
    assert refresh(client, newer).status_code == 401  # the family is gone
    # Another login of the same user is another family: untouched.
    assert refresh(client, other_login["refresh_token"]).status_code == 200


def test_concurrent_refreshes_of_one_token_yield_one_pair(make: Factory, live_url: str) -> None:
    account = make.account()

    def use(_: int) -> int:
        body = {"refresh_token": account.refresh_token}
        return requests.post(f"{live_url}/api/v1/auth/refresh", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(use, range(10)))
    assert statuses == [200] + [401] * 9


def test_logout_revokes_the_refresh_token(make: Factory, client: TestClient) -> None:
    account = make.account()
    body = {"refresh_token": account.refresh_token}
    assert client.post("/api/v1/auth/logout", json=body).status_code == 204
    assert refresh(client, account.refresh_token).status_code == 401
    assert client.post("/api/v1/auth/logout", json=body).status_code == 204
    unknown = {"refresh_token": "never-issued-token"}
    assert client.post("/api/v1/auth/logout", json=unknown).status_code == 204
    assert (
        client.post("/api/v1/auth/logout", json={"refresh_token": "no spaces"}).status_code == 422
    )


def test_unknown_and_expired_refresh_tokens_are_401(
    make: Factory, client: TestClient, engine: Engine
) -> None:
    assert refresh(client, "never-issued-token").status_code == 401
    account = make.account()
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE identity.refresh_tokens SET expires_at = now() - interval '1 second' "
                "WHERE user_id = :id"
            ),
            {"id": account.id},
        )
    expired = refresh(client, account.refresh_token)
    assert expired.status_code == 401 and expired.json()["message"] == "Refresh token expired"


def test_deactivated_company_cannot_log_in_or_refresh(make: Factory, client: TestClient) -> None:
    account = make.account()
    make.companies.statuses[account.company_id] = "inactive"
    login = client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    assert login.status_code == 401 and login.json()["code"] == "INVALID_CREDENTIALS"
    assert refresh(client, account.refresh_token).status_code == 401


def test_deleted_user_cannot_log_in_refresh_or_use_access_tokens(
    make: Factory, client: TestClient
) -> None:
    _, account = make.team()  # a member: the last admin could not delete themselves
    assert client.delete(f"/api/v1/users/{account.id}", headers=account.headers).status_code == 204
    login = client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    assert login.status_code == 401 and login.json()["code"] == "INVALID_CREDENTIALS"
    assert refresh(client, account.refresh_token).status_code == 401
    me = client.get("/api/v1/users/me", headers=account.headers)
    assert me.status_code == 401 and me.json()["code"] == "UNAUTHORIZED"


def test_login_fails_closed_when_company_service_is_down(
    make: Factory, user_settings: Settings
) -> None:
    account = make.account()
    settings = user_settings.model_copy(
        update={"company_service_url": f"http://127.0.0.1:{free_port()}"}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as down:
        body = {"email": account.email, "password": PASSWORD}
        login = down.post("/api/v1/auth/login", json=body)
        assert login.status_code == 503 and login.json()["code"] == "SERVICE_UNAVAILABLE"
        assert refresh(down, account.refresh_token).status_code == 503
    # Failing closed did not consume the refresh token.
    assert refresh(make.client, account.refresh_token).status_code == 200


def test_a_long_password_counts_in_full(make: Factory, client: TestClient) -> None:
    long = "pässwörd " * 14  # 126 characters, 154 bytes: beyond what bcrypt reads
    admin = make.account()
    user = make.signup(admin.company_id, password=long)
    make.login(user["email"], long)
    almost = long[:100] + "X" + long[101:]  # differs after bcrypt's 72 bytes
    wrong = client.post("/api/v1/auth/login", json={"email": user["email"], "password": almost})
    assert wrong.status_code == 401


def test_a_first_scheme_hash_logs_in_and_is_rewritten(
    make: Factory, client: TestClient, engine: Engine
) -> None:
    user = make.signup()
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    stored = "SELECT password_hash FROM identity.users WHERE id = :id"
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE identity.users SET password_hash = :h WHERE id = :id"),
            {"h": legacy, "id": user["id"]},
        )
    make.login(user["email"])
    with engine.begin() as conn:
        rewritten = conn.execute(text(stored), {"id": user["id"]}).scalar_one()
    assert rewritten.startswith("hmac-sha256+$2b$")
    make.login(user["email"])  # and the new hash verifies
