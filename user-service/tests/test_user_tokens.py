"""Access tokens: what they carry, the JWKS that verifies them, and forgeries refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from user_factories import Account, Factory

from media_common.auth import TokenVerifier
from user_service.tokens import jwk_thumbprint


def claims_of(account: Account, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": str(account.id),
        "company_id": account.company_id,
        "role": account.role,
        "iat": now,
        "exp": now + 600,
        "iss": "media-resource",
        "aud": "media-resource",
        "jti": "test",
        **overrides,
    }


def test_access_token_claims_and_header(make: Factory, client: TestClient) -> None:
    account = make.account()
    header = jwt.get_unverified_header(account.access_token)
    keys = client.get("/api/v1/auth/jwks.json").json()["keys"]
    assert header["alg"] == "RS256" and header["kid"] == keys[0]["kid"]
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    assert claims["sub"] == str(account.id) and claims["company_id"] == account.company_id
    assert claims["role"] == "admin" and claims["exp"] - claims["iat"] == 900
    assert claims["iss"] == claims["aud"] == "media-resource" and claims["jti"]


def test_jwks_kid_is_the_rfc7638_thumbprint(client: TestClient) -> None:
    (key,) = client.get("/api/v1/auth/jwks.json").json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key  # public only
    canonical = json.dumps({"e": key["e"], "kty": "RSA", "n": key["n"]}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())
    assert key["kid"] == expected.rstrip(b"=").decode() == jwk_thumbprint(key)


def test_other_services_verify_tokens_with_the_jwks(make: Factory, live_url: str) -> None:
    account = make.account()
    verifier = TokenVerifier(
        f"{live_url}/api/v1/auth/jwks.json", "media-resource", "media-resource"
    )
    claims = asyncio.run(verifier.verify(account.access_token))
    assert (claims.user_id, claims.company_id, claims.is_admin) == (
        account.id,
        account.company_id,
        True,
    )


def _forgeries(account: Account, private_key_pem: str, kid: str) -> dict[str, str]:
    public_pem = (
        serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    def sign(claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, private_key_pem, "RS256", headers={"kid": kid, **(headers or {})})

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    head, _, signature = account.access_token.split(".")
    tampered = b64(claims_of(account, role="admin", company_id=account.company_id + 1))
    hs256 = ".".join(
        [
            b64({"alg": "HS256", "typ": "JWT", "kid": kid}),
            b64(claims_of(account)),
        ]
    )
    hs256_signature = hmac.new(public_pem, hs256.encode(), hashlib.sha256).digest()
    return {
        "alg none": f"{b64({'alg': 'none', 'kid': kid})}.{b64(claims_of(account))}.",
        "hs256 keyed with the public key": (
            f"{hs256}.{base64.urlsafe_b64encode(hs256_signature).rstrip(b'=').decode()}"
        ),
        "tampered payload": f"{head}.{tampered}.{signature}",
        "expired": sign(claims_of(account, exp=int(time.time()) - 10)),
        "wrong audience": sign(claims_of(account, aud="someone-else")),
        "wrong issuer": sign(claims_of(account, iss="someone-else")),
        "missing jti": sign({k: v for k, v in claims_of(account).items() if k != "jti"}),
        "unknown kid": sign(claims_of(account), {"kid": "another-key"}),
        "sub not a number": sign(claims_of(account, sub="admin")),
        "sub out of range": sign(claims_of(account, sub=str(2**70))),
        "garbage": "not.a.token",
        "empty parts": "..",
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "alg none",
        "hs256 keyed with the public key",
        "tampered payload",
        "expired",
        "wrong audience",
        "wrong issuer",
        "missing jti",
        "unknown kid",
        "sub not a number",
        "sub out of range",
        "garbage",
        "empty parts",
    ],
)
def test_forged_tokens_are_401(
    make: Factory, client: TestClient, private_key_pem: str, forgery: str
) -> None:
    account = make.account()
    kid = jwt.get_unverified_header(account.access_token)["kid"]
    token = _forgeries(account, private_key_pem, kid)[forgery]
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, forgery
    assert response.json()["code"] == "UNAUTHORIZED"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "bearer"])
def test_missing_or_malformed_authorization_is_401(client: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"
