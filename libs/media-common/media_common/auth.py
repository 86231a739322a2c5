"""Access-token verification against user-service's JWKS.

Only user-service holds the private key; every other service verifies locally with the
published public keys. PyJWKClient caches the key set and refetches it when a token
names a `kid` it has not seen (key rotation).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request

from media_common.errors import ServiceUnavailable, Unauthorized

ALGORITHMS = ["RS256"]
REQUIRED_CLAIMS = ["sub", "company_id", "role", "iat", "exp", "iss", "aud", "jti"]


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified access token says about its bearer."""

    user_id: int
    company_id: int
    role: str
    jti: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def claims_from_payload(payload: dict[str, object]) -> Claims:
    try:
        return Claims(
            user_id=int(str(payload["sub"])),
            company_id=int(str(payload["company_id"])),
            role=str(payload["role"]),
            jti=str(payload["jti"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("Token claims are malformed") from exc


class TokenVerifier:
    def __init__(self, jwks_url: str, issuer: str, audience: str, timeout: float = 3.0) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=timeout)

    def verify(self, token: str) -> Claims:
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise ServiceUnavailable("Cannot fetch the token signing keys") from exc
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise Unauthorized("Invalid token") from exc
        return verify_with_key(token, key.key, issuer=self.issuer, audience=self.audience)


def verify_with_key(token: str, key: Any, *, issuer: str, audience: str) -> Claims:
    """Verify `token` with an already known public key, under the platform's rules.

    The same algorithms, required claims, issuer and audience checks as `TokenVerifier`;
    for user-service, which holds its own public key and must not fetch it over HTTP.
    """
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("Invalid token") from exc
    return claims_from_payload(payload)


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None when absent."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Malformed Authorization header")
    return token.strip()


def check_internal_token(request: Request, expected: str) -> None:
    """Accept only callers presenting the shared internal service token."""
    token = bearer_token(request)
    if not expected or token is None or not hmac.compare_digest(token, expected):
        raise Unauthorized("Service token required")
