"""Who may call what: 401 for every kind of bad token, 403 for members, 404 across tenants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(company_id: int, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    payload = {
        "sub": "7",
        "company_id": company_id,
        "role": "admin",
        "iat": now,
        "exp": now + 600,
        "iss": "media-resource",
        "aud": "media-resource",
        "jti": uuid.uuid4().hex,
    }
    payload.update(overrides)
    return payload


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"


def forged_tokens(jwks, company_id: int) -> dict[str, str]:
    """Tokens that must all be refused, keyed by what is wrong with them."""
    good = jwks.mint(7, company_id, "admin")
    head, _, signature = good.split(".")
    public_pem = jwks.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": jwks.kid}, claims(company_id))
    hs_signature = hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    without_jti = claims(company_id)
    del without_jti["jti"]
    non_numeric = {**claims(company_id), "company_id": "abc"}
    return {
        "alg none": unsigned({"alg": "none", "typ": "JWT", "kid": jwks.kid}, claims(company_id))
        + ".",
        "HS256 signed with the public key": f"{hs_input}.{b64url(hs_signature)}",
        "tampered payload": f"{head}.{b64url(json.dumps(claims(company_id + 1)).encode())}"
        f".{signature}",
        "wrong audience": jwks.mint(7, company_id, "admin", aud="someone-else"),
        "wrong issuer": jwks.mint(7, company_id, "admin", iss="evil"),
        "expired": jwks.mint(7, company_id, "admin", ttl=-60),
        "unknown kid": jwt.encode(
            claims(company_id), stranger, algorithm="RS256", headers={"kid": "nope"}
        ),
        "known kid, other key": jwt.encode(
            claims(company_id), stranger, algorithm="RS256", headers={"kid": jwks.kid}
        ),
        "missing jti": jwt.encode(
            without_jti, jwks.private_key, algorithm="RS256", headers={"kid": jwks.kid}
        ),
        "company_id not a number": jwt.encode(
            non_numeric,
            jwks.private_key,
            algorithm="RS256",
            headers={"kid": jwks.kid},
        ),
        "garbage": "not.a.token",
        "empty segments": "..",
    }


def requests_for(company_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    url = f"/api/v1/companies/{company_id}"
    return [
        ("GET", url, None),
        ("PATCH", url, {"name": f"New {uuid.uuid4().hex}"}),
        ("PUT", f"{url}/plan", {"plan": "free"}),
        ("DELETE", url, None),
        ("GET", f"{url}/plan-history", None),
    ]


def test_missing_token_is_401(client, new_company):
    company = new_company()
    for method, url, body in requests_for(company["id"]):
        response = client.request(method, url, json=body)
        assert response.status_code == 401, (method, url)
        assert response.json()["code"] == "UNAUTHORIZED"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    ", "token"])
def test_malformed_authorization_header_is_401(client, new_company, header):
    company = new_company()
    response = client.get(f"/api/v1/companies/{company['id']}", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_forged_and_expired_tokens_are_401(client, new_company, jwks):
    company = new_company()
    for problem, token in forged_tokens(jwks, company["id"]).items():
        for method, url, body in requests_for(company["id"]):
            response = client.request(
                method, url, json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401, (problem, method, url, response.text)
            assert response.json()["code"] == "UNAUTHORIZED", problem
    # Nothing above changed the company.
    check = client.get(
        f"/api/v1/companies/{company['id']}",
        headers={"Authorization": f"Bearer {jwks.mint(7, company['id'], 'member')}"},
    )
    assert check.json() == company


def test_bad_token_beats_bad_path(client, jwks):
    response = client.get("/api/v1/companies/abc", headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code == 401


def test_members_may_read_but_not_change(client, new_company, auth):
    company = new_company()
    member = auth(company["id"], "member")
    assert client.get(f"/api/v1/companies/{company['id']}", headers=member).status_code == 200
    for method, url, body in requests_for(company["id"])[1:]:
        response = client.request(method, url, json=body, headers=member)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "FORBIDDEN"
    after = client.get(f"/api/v1/companies/{company['id']}", headers=member).json()
    assert after == company


def test_other_companies_are_not_found_for_every_verb(client, new_company, auth):
    mine, theirs = new_company(), new_company()
    for role in ("admin", "member"):
        headers = auth(mine["id"], role)
        for method, url, body in requests_for(theirs["id"]):
            response = client.request(method, url, json=body, headers=headers)
            assert response.status_code == 404, (role, method, url)
            assert response.json()["code"] == "NOT_FOUND"
    # Exactly like an id that does not exist at all.
    missing = client.get("/api/v1/companies/999999999", headers=auth(mine["id"]))
    other = client.get(f"/api/v1/companies/{theirs['id']}", headers=auth(mine["id"]))
    assert missing.json()["message"] == other.json()["message"]
    untouched = client.get(f"/api/v1/companies/{theirs['id']}", headers=auth(theirs["id"]))
    assert untouched.json() == theirs


def test_token_for_a_company_that_does_not_exist(client, auth):
    response = client.get("/api/v1/companies/987654321", headers=auth(987654321))
    assert response.status_code == 404
    huge = 99999999999999999999
    response = client.get(f"/api/v1/companies/{huge}", headers=auth(huge))
    assert response.status_code == 404
