"""Test support shared by the services' test suites (never imported by app code).

- `provision_database`: a fresh database in the test cluster with the given schemas.
- `JwksServer`: a real HTTP server publishing a JWKS, and a way to mint tokens with its
  key, so company- and video-service tests verify tokens exactly as in production.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from media_common.db import Database
from media_common.settings import ServiceSettings
from media_common.testing_http import LoopbackServer, answer_json

T = TypeVar("T")


@dataclass(frozen=True)
class DbParams:
    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str

    def as_settings(self) -> dict[str, Any]:
        return {
            "db_host": self.db_host,
            "db_port": self.db_port,
            "db_name": self.db_name,
            "db_user": self.db_user,
            "db_password": self.db_password,
        }


def provision_database(admin_dsn: str, schemas: list[str]) -> DbParams:
    """Create database `test_<random>` with the schemas; return how to reach it."""
    url = make_url(admin_dsn).set(drivername="postgresql+psycopg2")
    name = f"test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    engine = create_engine(url.set(database=name), poolclass=NullPool)
    with engine.begin() as conn:
        for schema in schemas:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return DbParams(
        url.host or "127.0.0.1", url.port or 5432, name, url.username or "", url.password or ""
    )


def drop_database(admin_dsn: str, name: str) -> None:
    url = make_url(admin_dsn).set(drivername="postgresql+psycopg2")
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class JwksServer:
    """Serves `/jwks.json` on 127.0.0.1 and mints RS256 tokens with the matching key."""

    def __init__(self, issuer: str = "media-resource", audience: str = "media-resource") -> None:
        self.issuer = issuer
        self.audience = audience
        self.kid = uuid.uuid4().hex[:16]
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        document = {"keys": [jwk]}
        self.body = json.dumps(document)  # the JWKS document (e.g. for a JWT_PUBLIC_KEYS_FILE)

        self._http = LoopbackServer(lambda request: answer_json(request, 200, document), ("GET",))
        self.url = f"{self._http.url}/jwks.json"

    def mint(
        self,
        user_id: int,
        company_id: int,
        role: str = "member",
        *,
        ttl: int = 900,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": str(user_id),
            "company_id": company_id,
            "role": role,
            "iat": now,
            "exp": now + ttl,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": uuid.uuid4().hex,
        }
        payload.update(overrides)
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def close(self) -> None:
        self._http.close()


def run_with_database(
    settings: ServiceSettings,
    work: Callable[[Database], Awaitable[T]],
    *,
    pool_size: int = 5,
) -> T:
    """Run `work` on a fresh event loop with a `Database` of its own (an async engine's
    connections belong to the loop that opened them), disposed afterwards."""

    async def main() -> T:
        database = Database(settings, pool_size=pool_size)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())
