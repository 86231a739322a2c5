"""Access-token verification with user-service's public keys.

Only user-service holds the private key; every other service verifies locally. The keys
come from configuration first (`JWT_PUBLIC_KEYS_FILE`, a JWKS file: a replica that
starts while user-service is down still verifies tokens) and from the published JWKS
(`JWKS_URL`): a token naming a `kid` not yet known makes PyJWKClient refetch the key set
(key rotation). Several keys, told apart by `kid`, may be valid at once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from media_common.errors import Forbidden, ServiceUnavailable, Unauthorized

ALGORITHMS = ["RS256"]
REQUIRED_CLAIMS = ["sub", "company_id", "role", "iat", "exp", "iss", "aud", "jti"]


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified access token says about its bearer."""

    user_id: int
    company_id: int
    role: str
    jti: str
    # False when the current authorization state could not be read lately (access.py):
    # the role is then the last known one, and admin authority is refused (503).
    fresh: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self, message: str) -> None:
        """403 unless an admin; 503 for an admin whose role cannot be confirmed now."""
        if not self.is_admin:
            raise Forbidden(message)
        if not self.fresh:
            raise ServiceUnavailable("The current authorization state is unavailable")


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


def load_public_keys(path: str) -> dict[str, Any]:
    """The keys of a JWKS file by `kid` (RS256 signing keys only); {} for no path."""
    if not path:
        return {}
    key_set = jwt.PyJWKSet.from_json(Path(path).read_text(encoding="utf-8"))
    return {key.key_id: key.key for key in key_set.keys if key.key_id}


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        timeout: float = 3.0,
        *,
        public_keys_file: str = "",
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self._configured = load_public_keys(public_keys_file)
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=timeout)

    def verify(self, token: str) -> Claims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("Invalid token") from exc
        key = self._configured.get(kid) if isinstance(kid, str) else None
        if key is None:
            key = self._published_key(token)
        return verify_with_key(token, key, issuer=self.issuer, audience=self.audience)

    def _published_key(self, token: str) -> Any:
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            # A kid the configuration does not know and user-service unreachable: it may
            # be a freshly rotated key, so "unavailable" rather than "invalid".
            raise ServiceUnavailable("Cannot fetch the token signing keys") from exc
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise Unauthorized("Invalid token") from exc


def verify_with_key(token: str, key: Any, *, issuer: str, audience: str) -> Claims:
    """Verify `token` with an already known public key, under the platform's rules.

    The same algorithms, required claims, issuer and audience checks as `TokenVerifier`;
    for user-service, which holds its own public key and must not fetch it over HTTP.
    """
    return claims_from_payload(decode_with_key(token, key, issuer=issuer, audience=audience))


def decode_with_key(token: str, key: Any, *, issuer: str, audience: str) -> dict[str, Any]:
    """The verified payload of `token` (signature, algorithm, claims, iss, aud, exp)."""
    try:
        payload: dict[str, Any] = jwt.decode(
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
    return payload


# For the OpenAPI document only (the security requirement of the routes that take a
# token); the header itself is read by bearer_token, which answers the contract's 401.
bearer_scheme = HTTPBearer(
    scheme_name="bearerAuth",
    description="An access token from POST /api/v1/auth/login.",
    auto_error=False,
)
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


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
