"""Access tokens: RS256 JWTs signed with the service's private key, published as JWKS.

user-service verifies its own tokens with its public key directly (no HTTP to itself),
under the same rules as every other service (`media_common.auth.decode_with_key`), and
remembers the tokens it verified (`media_common.auth.VerifiedTokens`): a client sends
the same token for its whole lifetime, the RS256 check runs once. What the token says is
judged against the caller's row on every request (`api.deps`), so the memory never
outlives a demotion or a deletion.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from media_common.auth import Claims, VerifiedTokens, decode_with_key, unverified_kid
from media_common.errors import Unauthorized

ALGORITHM = "RS256"
MIN_RSA_BITS = 2048


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA public JWK: SHA-256 of its required members."""
    members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


class SigningKey:
    """The RSA key pair from JWT_PRIVATE_KEY, with its JWK and `kid`."""

    def __init__(self, private_key_pem: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("JWT_PRIVATE_KEY must be an RSA private key (RS256)")
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"JWT_PRIVATE_KEY must have at least {MIN_RSA_BITS} bits")
        self.private_key = key
        self.public_key = key.public_key()
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        self.kid = jwk_thumbprint(jwk)
        self.public_jwk: dict[str, Any] = {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}


class AccessTokens:
    """Signs with `key`; verifies with it and with `other_keys` (by kid: the keys of
    JWT_PUBLIC_KEYS_FILE, e.g. the previous key during a rotation), and publishes all."""

    def __init__(
        self,
        key: SigningKey,
        other_keys: dict[str, Any] | None = None,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
    ) -> None:
        self.key = key
        self._public_keys: dict[str, Any] = {**(other_keys or {}), key.kid: key.public_key}
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self.verified = VerifiedTokens()
        # The keys are fixed for the life of the process: the JWKS is built once.
        self._jwks = self._build_jwks()

    def issue(self, user_id: int, company_id: int, role: str) -> str:
        now = int(time.time())
        payload = {
            "sub": str(user_id),
            "company_id": company_id,
            "role": role,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            payload, self.key.private_key, algorithm=ALGORITHM, headers={"kid": self.key.kid}
        )

    def verify(self, token: str) -> Claims:
        claims = self.verified.get(token)
        if claims is not None:
            return claims
        kid = unverified_kid(token)
        public_key = self._public_keys.get(kid) if kid is not None else None
        if public_key is None:
            raise Unauthorized("Invalid token")
        payload = decode_with_key(token, public_key, issuer=self.issuer, audience=self.audience)
        return self.verified.put(token, payload)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return self._jwks

    def _build_jwks(self) -> dict[str, list[dict[str, Any]]]:
        others = [
            {
                **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key)),
                "kid": kid,
                "use": "sig",
                "alg": ALGORITHM,
            }
            for kid, key in self._public_keys.items()
            if kid != self.key.kid
        ]
        return {"keys": [self.key.public_jwk, *others]}
