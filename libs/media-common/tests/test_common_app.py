"""The error shape, request ids and token verification every service inherits."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Annotated

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, StrictStr

from media_common.app import create_service_app
from media_common.auth import TokenVerifier, check_internal_token
from media_common.errors import Conflict, ServiceUnavailable, Unauthorized
from media_common.settings import ServiceSettings
from media_common.testing import JwksServer
from media_common.text import text_rule


class Body(BaseModel):
    name: Annotated[StrictStr, Field(max_length=400), text_rule(100)]


def make_client() -> TestClient:
    app = create_service_app(
        slug="demo",
        title="demo",
        description="demo",
        version="1",
        settings=ServiceSettings(service_name="demo", internal_token="tok"),
        is_ready=lambda: True,
    )

    @app.post("/items")
    def create(body: Body) -> dict[str, str]:
        if body.name == "taken":
            raise Conflict("Name taken", details={"field": "name"})
        if body.name == "boom":
            raise RuntimeError("unexpected")
        return {"name": body.name}

    @app.get("/internal/ping")
    def ping(request: Request) -> dict[str, str]:
        check_internal_token(request, "tok")
        return {"ok": "yes"}

    return TestClient(app, raise_server_exceptions=False)


def test_app_error_has_contract_shape_and_request_id() -> None:
    client = make_client()
    resp = client.post("/items", json={"name": "taken"}, headers={"X-Request-ID": "abc-123"})
    assert resp.status_code == 409
    assert resp.json() == {
        "code": "CONFLICT",
        "message": "Name taken",
        "details": {"field": "name"},
        "request_id": "abc-123",
    }
    assert resp.headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"name": 5}',
        b"[]",
        b'{"name": "\\ud800x"}',
        b'{"name": "a\\u0000b"}',
        b'{"name": "   "}',
        b'{"name": "' + b"x" * 101 + b'"}',
        b"\xff\xfe",
    ],
)
def test_garbage_bodies_are_422_validation_errors(raw: bytes) -> None:
    client = make_client()
    resp = client.post("/items", content=raw, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["request_id"]


def test_unexpected_error_is_500_internal_without_leaking() -> None:
    resp = make_client().post("/items", json={"name": "boom"}, headers={"X-Request-ID": "r-500"})
    assert resp.status_code == 500
    assert resp.json()["code"] == "INTERNAL"
    assert "unexpected" not in resp.text
    assert resp.json()["request_id"] == resp.headers["x-request-id"] == "r-500"


def test_insane_request_id_is_replaced() -> None:
    client = make_client()
    resp = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces" + "x" * 300})
    assert resp.status_code == 200
    assert resp.headers["x-request-id"] != ""
    assert " " not in resp.headers["x-request-id"]


def test_unknown_route_and_method_use_the_error_shape() -> None:
    client = make_client()
    assert client.get("/nope").json()["code"] == "NOT_FOUND"
    assert client.delete("/items").json()["code"] == "METHOD_NOT_ALLOWED"


def test_internal_token_required() -> None:
    client = make_client()
    assert client.get("/internal/ping").status_code == 401
    assert client.get("/internal/ping", headers={"Authorization": "Bearer no"}).status_code == 401
    ok = client.get("/internal/ping", headers={"Authorization": "Bearer tok"})
    assert ok.status_code == 200


def test_health_and_metrics() -> None:
    client = make_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    client.get("/healthz")
    assert "http_requests_total" in client.get("/metrics").text


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_verifier_accepts_good_token(jwks: JwksServer) -> None:
    verifier = TokenVerifier(jwks.url, "media-resource", "media-resource")
    claims = asyncio.run(verifier.verify(jwks.mint(7, 3, "admin")))
    assert (claims.user_id, claims.company_id, claims.is_admin) == (7, 3, True)


def test_verifier_rejects_forgeries(jwks: JwksServer) -> None:
    verifier = TokenVerifier(jwks.url, "media-resource", "media-resource")
    good = jwks.mint(7, 3, "member")
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    pem = jwks.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = [
        # alg "none" with the right kid
        _b64({"alg": "none", "kid": jwks.kid, "typ": "JWT"}) + "." + payload + ".",
        # HS256 keyed with the public key (algorithm confusion)
        _b64({"alg": "HS256", "kid": jwks.kid, "typ": "JWT"})
        + "."
        + payload
        + "."
        + jwt.api_jws.PyJWS()
        ._algorithms["HS256"]
        .sign(  # type: ignore[attr-defined]
            f"{_b64({'alg': 'HS256', 'kid': jwks.kid, 'typ': 'JWT'})}.{payload}".encode(), pem
        )
        .hex(),
        # payload changed to admin, signature kept
        header + "." + _b64({**claims, "role": "admin"}) + "." + signature,
        jwks.mint(7, 3, ttl=-10),
        jwks.mint(7, 3, aud="someone-else"),
        jwks.mint(7, 3, iss="evil"),
        "not.a.token",
        "garbage",
    ]

    async def each() -> None:
        for token in forged:
            with pytest.raises(Unauthorized):
                await verifier.verify(token)

    asyncio.run(each())


def test_verifier_fails_closed_when_jwks_unreachable() -> None:
    verifier = TokenVerifier("http://127.0.0.1:9/jwks.json", "a", "b", timeout=0.5)
    other = JwksServer()
    try:
        with pytest.raises(ServiceUnavailable):
            asyncio.run(verifier.verify(other.mint(1, 1)))
    finally:
        other.close()


def test_verifier_refuses_a_kid_the_jwks_does_not_publish(jwks: JwksServer) -> None:
    verifier = TokenVerifier(jwks.url, "media-resource", "media-resource", refetch_seconds=0)
    published = jwks.kid

    async def scenario() -> None:
        await verifier.verify(jwks.mint(1, 1))
        jwks.kid = "rotated-" + str(int(time.time()))  # tokens now name a kid the server lacks
        with pytest.raises(Unauthorized):
            await verifier.verify(jwks.mint(1, 1))

    try:
        asyncio.run(scenario())
    finally:
        jwks.kid = published
