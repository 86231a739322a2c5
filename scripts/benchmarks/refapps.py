"""The yardsticks of `scripts/bench api`, run on the services' own uvicorn command line:
a bare FastAPI app (`return {}`, the ceiling), a reference app like seed 000's
user-service (FastAPI + asyncpg, an HS256 JWT decode and one SELECT by key), and
company-service itself twice, with and without the current-authorization check (what
that check costs an authenticated request)."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import psycopg2

from benchmarks.servers import _stop, free_port, wait_until_up
from devstack.config import SERVICES
from devstack.services import replica_cmd

BARE_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root() -> dict[str, str]:
    return {}
"""

REFERENCE_APP = '''\
"""Like seed 000's user-service: verify an HS256 token, read one row by key, answer JSON."""
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import jwt
from fastapi import FastAPI, Header, HTTPException

SECRET = os.environ["BENCH_JWT_SECRET"]
QUERY = (
    "SELECT id, email, name, role, company_id, points, created_at "
    "FROM bench_reference.users WHERE id = $1"
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=4, max_size=10)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/users/me")
async def me(authorization: str = Header()) -> dict[str, Any]:
    scheme, _, token = authorization.partition(" ")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="invalid token") from None
    row = await app.state.pool.fetchrow(QUERY, int(claims["sub"]))
    if row is None:
        raise HTTPException(status_code=404, detail="no such user")
    user = dict(row)
    user["created_at"] = user["created_at"].isoformat()
    return user
'''

REFERENCE_USERS = 1000

ACCESS_VARIANT_APP = '''\
"""company-service as the stack runs it; with BENCH_ACCESS_CHECK=off, the current-
authorization check answers the token's claims as they are (for the benchmark, never
deployed). Same code, same dependencies otherwise: FastAPI's dependency_overrides would
re-inspect the overriding function on every request and cost more than the check."""
import os

from company_service.main import create_app
from media_common.auth import Claims


async def unchecked(claims: Claims) -> Claims:
    return claims


app = create_app()
if os.environ["BENCH_ACCESS_CHECK"] == "off":
    app.state.runtime.access.current = unchecked
'''


@dataclass(frozen=True)
class Yardstick:
    url: str
    headers: tuple[str, ...] = ()


def uvicorn_command(app_dir: str, target: str, port: int) -> list[str]:
    """The services' own uvicorn command (scripts/devstack), with another app in it."""
    command = replica_cmd(SERVICES[0], port)
    at = command.index("--factory")
    return [*command[:at], target, "--app-dir", app_dir, *command[at + 2 :]]


@contextlib.contextmanager
def _uvicorn(source: str, module: str, health_path: str, env: dict[str, str]) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{module}-") as app_dir:
        (Path(app_dir) / f"{module}.py").write_text(source)
        port = free_port()
        process = subprocess.Popen(
            uvicorn_command(app_dir, f"{module}:app", port),
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}{health_path}", process, timeout=90)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


@contextlib.contextmanager
def bare_app() -> Iterator[Yardstick]:
    with _uvicorn(BARE_APP, "bench_bare_app", "/", {}) as base:
        yield Yardstick(f"{base}/")


@contextlib.contextmanager
def reference_app(dsn: str) -> Iterator[Yardstick]:
    """The reference app over its own table (schema bench_reference, dropped afterwards)."""
    secret = secrets.token_urlsafe(32)
    _create_users(dsn)
    token = jwt.encode(
        {"sub": "42", "exp": datetime.now(UTC) + timedelta(hours=2)}, secret, algorithm="HS256"
    )
    env = {"BENCH_DSN": dsn, "BENCH_JWT_SECRET": secret}
    try:
        with _uvicorn(REFERENCE_APP, "bench_reference_app", "/healthz", env) as base:
            yield Yardstick(f"{base}/users/me", (f"Authorization: Bearer {token}",))
    finally:
        _drop_users(dsn)


@contextlib.contextmanager
def company_service(service_env: dict[str, str], *, access_check: bool) -> Iterator[str]:
    """One company-service process (the stack's environment, its own port), with or without
    the current-authorization check; its base URL."""
    env = {**service_env, "BENCH_ACCESS_CHECK": "on" if access_check else "off"}
    with _uvicorn(ACCESS_VARIANT_APP, "bench_company_variant", "/healthz", env) as base:
        yield base


def _create_users(dsn: str) -> None:
    with contextlib.closing(psycopg2.connect(dsn)) as conn, conn, conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS bench_reference CASCADE")
        cur.execute("CREATE SCHEMA bench_reference")
        cur.execute(
            "CREATE TABLE bench_reference.users (id bigint PRIMARY KEY, email text NOT NULL,"
            " name text, role text NOT NULL, company_id bigint NOT NULL,"
            " points integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        cur.execute(
            "INSERT INTO bench_reference.users (id, email, name, role, company_id, points) "
            "SELECT n, 'user' || n || '@bench.example.com', 'User ' || n, 'member', 1 + n %% 10,"
            " 0 FROM generate_series(1, %s) AS n",
            (REFERENCE_USERS,),
        )


def _drop_users(dsn: str) -> None:
    with contextlib.closing(psycopg2.connect(dsn)) as conn, conn, conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS bench_reference CASCADE")
