"""Access-token verification on the event loop, with a memory of verified tokens.

The keys come from configuration first (`JWT_PUBLIC_KEYS_FILE`: a replica that starts
while user-service is down still verifies tokens), then from the published JWKS
(`JWKS_URL`), fetched with the async client when a token names a `kid` not known yet
(key rotation) and at most once per `refetch_seconds`, so tokens with made-up kids cannot
make a service hammer user-service. Published keys are re-read after `KEYS_TTL_SECONDS`;
while user-service cannot be reached the last ones stay in use.

A client sends the same token with every request for its whole lifetime (15 minutes by
default): `VerifiedTokens` remembers the claims of a token already verified until its
`exp`, so the RS256 signature check runs once per token and process, not per request.
What the token says is then judged against the current authorization state on every
request (media_common.access), so the memory never outlives a demotion or a deletion.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
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


logger = logging.getLogger(__name__)
KEYS_TTL_SECONDS = 300.0


class VerifiedTokens:
    """Claims of tokens whose signature was verified, until each one's `exp`.

    Bounded: beyond `size` entries the oldest is forgotten (it is verified again when it
    comes back). Keyed by the whole token, so a token differing in any byte is verified.
    """

    def __init__(self, size: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self._clock = clock
        self._entries: dict[str, tuple[Claims, float]] = {}

    def get(self, token: str) -> Claims | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._entries[token]
            return None
        return entry[0]

    def put(self, token: str, payload: dict[str, Any]) -> Claims:
        claims = claims_from_payload(payload)
        if len(self._entries) >= self.size:
            del self._entries[next(iter(self._entries))]
        self._entries[token] = (claims, float(payload["exp"]))
        return claims

    def clear(self) -> None:
        self._entries.clear()


def unverified_kid(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("Invalid token") from exc
    return kid if isinstance(kid, str) else None


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        timeout: float = 3.0,
        *,
        public_keys_file: str = "",
        refetch_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.timeout = timeout
        self.refetch_seconds = refetch_seconds
        self._clock = clock
        self._configured = load_public_keys(public_keys_file)
        self._published: dict[str, Any] = {}
        self._published_at = -math.inf
        self._fetched_at = -math.inf
        self._last_fetch_failed = False
        self._lock: asyncio.Lock | None = None
        self.verified = VerifiedTokens()

    async def verify(self, token: str) -> Claims:
        claims = self.verified.get(token)
        if claims is not None:
            return claims
        kid = unverified_kid(token)
        key = self._configured.get(kid) if kid is not None else None
        if key is None:
            key = await self._published_key(kid)
        payload = decode_with_key(token, key, issuer=self.issuer, audience=self.audience)
        return self.verified.put(token, payload)

    async def _published_key(self, kid: str | None) -> Any:
        if kid is None:
            raise Unauthorized("Invalid token")
        key = self._published.get(kid)
        if key is not None and self._clock() - self._published_at < KEYS_TTL_SECONDS:
            return key
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._clock() - self._fetched_at >= self.refetch_seconds:
                await self._fetch()
        key = self._published.get(kid)
        if key is not None:
            return key
        if self._last_fetch_failed:
            # A kid the configuration does not know and user-service unreachable: it may
            # be a freshly rotated key, so "unavailable" rather than "invalid".
            raise ServiceUnavailable("Cannot fetch the token signing keys")
        raise Unauthorized("Invalid token")

    async def _fetch(self) -> None:
        self._fetched_at = self._clock()
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
                key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            logger.warning("JWKS unreadable (%s): keeping the last keys", exc)
            self._last_fetch_failed = True
            return
        keys = {k.key_id: k.key for k in key_set.keys if k.key_id}
        if set(keys) != set(self._published):
            self.verified.clear()  # a key may have been withdrawn
        self._published, self._published_at = keys, self._clock()
        self._last_fetch_failed = False
