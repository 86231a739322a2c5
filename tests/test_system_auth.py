"""Companies, users and auth through the real gateway, as API.md describes them."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import jwt
import requests
from cryptography.hazmat.primitives import hashes, hmac, serialization

from tests.support.client import PASSWORD, Api, assert_error, unique
from tests.support.stack import Stack


def test_signup_login_refresh_logout_flow(api: Api) -> None:
    company, admin = api.company_with_admin()
    me = api.get("/api/v1/users/me", headers=admin.headers)
    assert me.status_code == 200
    assert me.json()["company_id"] == company["id"]
    assert "password" not in json.dumps(me.json()).lower()

    refreshed = api.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["token_type"] == "bearer"
    assert new["refresh_token"] != admin.refresh_token

    # The rotated token is dead; reusing it revokes the whole family (the new one too).
    reuse = api.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert_error(reuse, 401, "UNAUTHORIZED")
    after = api.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert after.status_code == 401

    other = api.login(admin.email)
    out = api.post("/api/v1/auth/logout", json={"refresh_token": other["refresh_token"]})
    assert out.status_code == 204
    dead = api.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert dead.status_code == 401


def test_oauth2_form_token_endpoint(api: Api) -> None:
    _, admin = api.company_with_admin()
    resp = api.post("/api/v1/auth/token", data={"username": admin.email, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    assert resp.json()["access_token"]


def test_same_401_for_unknown_email_and_wrong_password(api: Api) -> None:
    _, admin = api.company_with_admin()
    wrong = api.post("/api/v1/auth/login", json={"email": admin.email, "password": "nope-nope"})
    unknown = api.post(
        "/api/v1/auth/login", json={"email": f"{unique('x')}@example.com", "password": "nope-nope"}
    )
    body_a = assert_error(wrong, 401, "INVALID_CREDENTIALS")
    body_b = assert_error(unknown, 401, "INVALID_CREDENTIALS")
    assert body_a["message"] == body_b["message"]


def test_racing_creations_with_one_name_or_email_make_one_company(api: Api) -> None:
    name, email = unique("Race"), f"{unique('race')}@example.com"

    def create(i: int) -> requests.Response:
        body = {
            # half race on the name (differently cased), half on the admin's email
            "name": name.upper() if i % 2 else name.lower(),
            "admin": {"email": f"{unique('r')}@example.com", "password": PASSWORD},
        }
        if i >= 10:
            body = {"name": unique("Other"), "admin": {"email": email, "password": PASSWORD}}
        return requests.post(f"{api.base}/api/v1/companies", json=body, timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(create, range(20)))
    by_name = [r.status_code for r in results[:10]]
    by_email = [r.status_code for r in results[10:]]
    assert sorted(by_name) == [201] + [409] * 9, [r.text for r in results[:10]]
    assert sorted(by_email) == [201] + [409] * 9, [r.text for r in results[10:]]
    # the losers left nothing: exactly one user has the email, and it can log in
    assert api.login(email)["access_token"]


def test_duplicate_email_ignoring_case_is_conflict(api: Api) -> None:
    company = api.create_company()
    email = f"{unique('Dup')}@Example.com"
    api.signup(company["id"], email)
    resp = api.post(
        "/api/v1/invitations",
        json={"email": email.upper()},
        headers={"Authorization": f"Bearer {api.login(company['admin']['email'])['access_token']}"},
    )
    assert_error(resp, 409, "CONFLICT")
    name = unique("Dup")
    taken = api.post(
        "/api/v1/companies",
        json={"name": name, "admin": {"email": email.upper(), "password": PASSWORD}},
    )
    assert_error(taken, 409, "CONFLICT")
    assert api.create_company(name)["name"] == name  # the name was left free


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_tokens_are_refused_by_every_service(api: Api) -> None:
    company, admin = api.company_with_admin()
    header = jwt.get_unverified_header(admin.access_token)
    claims = jwt.decode(admin.access_token, options={"verify_signature": False})
    jwks = api.get("/api/v1/auth/jwks.json").json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public_pem = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key)).public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    escalated = {**claims, "role": "admin", "company_id": company["id"] + 1}
    none_token = (
        _b64({"alg": "none", "typ": "JWT", "kid": header["kid"]}) + "." + _b64(escalated) + "."
    )
    signing_input = (
        _b64({"alg": "HS256", "typ": "JWT", "kid": header["kid"]}) + "." + _b64(escalated)
    )
    mac = hmac.HMAC(public_pem, hashes.SHA256())
    mac.update(signing_input.encode())
    hs_token = signing_input + "." + base64.urlsafe_b64encode(mac.finalize()).rstrip(b"=").decode()
    head, _, sig = admin.access_token.split(".")
    tampered = head + "." + _b64(escalated) + "." + sig
    for token in (none_token, hs_token, tampered, "garbage", admin.access_token + "x"):
        auth = {"Authorization": f"Bearer {token}"}
        for path in ("/api/v1/users/me", f"/api/v1/companies/{company['id']}", "/api/v1/videos"):
            assert_error(api.get(path, headers=auth), 401, "UNAUTHORIZED")
    for path in ("/api/v1/users/me", f"/api/v1/companies/{company['id']}", "/api/v1/videos"):
        assert_error(api.get(path), 401, "UNAUTHORIZED")


def test_deactivated_company_cannot_log_in_or_refresh(api: Api) -> None:
    company, admin = api.company_with_admin()
    resp = api.request("DELETE", f"/api/v1/companies/{company['id']}", headers=admin.headers)
    assert resp.status_code == 204
    assert (
        api.post(
            "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}
        ).status_code
        == 401
    )
    refresh = api.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert refresh.status_code == 401


def test_signup_fails_closed_when_company_service_is_down(api: Api, stack: Stack) -> None:
    company = api.create_company()
    token = api.invite(company["id"])
    stack.stop("company-service")
    try:
        resp = api.post("/api/v1/users", json={"invitation_token": token, "password": PASSWORD})
        assert_error(resp, 503, "SERVICE_UNAVAILABLE")
        # The gateway's own answer for a stopped upstream is JSON too.
        gone = api.get(f"/api/v1/companies/{company['id']}")
        assert gone.status_code in (502, 503), gone.text
        assert gone.json()["code"] == "SERVICE_UNAVAILABLE"
    finally:
        stack.start("company-service")
    # nothing was used up: the invitation works once company-service is back
    resp = api.post("/api/v1/users", json={"invitation_token": token, "password": PASSWORD})
    assert resp.status_code == 201, resp.text


def test_members_cannot_do_admin_things(api: Api) -> None:
    company, _admin = api.company_with_admin()
    member = api.member(company["id"])
    assert member.role == "member"
    assert_error(api.get("/api/v1/users", headers=member.headers), 403, "FORBIDDEN")
    rename = api.request(
        "PATCH",
        f"/api/v1/companies/{company['id']}",
        headers=member.headers,
        json={"name": unique("X")},
    )
    assert_error(rename, 403, "FORBIDDEN")
    promote = api.request(
        "PATCH", f"/api/v1/users/{member.id}", headers=member.headers, json={"role": "admin"}
    )
    assert promote.status_code in (403, 422), promote.text
    assert api.get("/api/v1/users/me", headers=member.headers).json()["role"] == "member"
