"""Fixtures of the company-service suite: migrated database, app client, token factory."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from company_service.main import create_app
from company_service.migrate import migrate
from company_service.settings import Settings
from media_common.testing import DbParams, JwksServer

sys.path.insert(0, str(Path(__file__).parent))
from company_fakes import FakeUserService, founder

INTERNAL_TOKEN = "company-tests-internal-token"


@pytest.fixture(scope="session")
def users() -> Iterator[FakeUserService]:
    """user-service as company-service sees it: founders and the access feed."""
    server = FakeUserService(INTERNAL_TOKEN)
    yield server
    server.close()


@pytest.fixture(scope="session")
def jwks() -> Iterator[JwksServer]:
    """This suite's own JWKS server: other suites may rotate the shared one's key."""
    server = JwksServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def company_settings(test_db: DbParams, jwks: JwksServer, users: FakeUserService) -> Settings:
    settings = Settings(
        **test_db.as_settings(),
        jwks_url=jwks.url,
        user_service_url=users.url,
        founding_sweep_seconds=0,  # tests drive the founding sweeper themselves
        internal_token=INTERNAL_TOKEN,
        plan_sweep_seconds=0,  # tests drive the sweeper themselves
        db_pool_size=20,
    )
    migrate(settings)
    return settings


@pytest.fixture(scope="session")
def client(company_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(company_settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def engine(company_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(company_settings.database_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for arranging and checking rows directly; commit what you arrange."""
    with sessionmaker(engine, expire_on_commit=False)() as session:
        yield session


def random_name(prefix: str = "Acme") -> str:
    return f"{prefix} {uuid.uuid4().hex[:12]}"


@pytest.fixture
def unique_name() -> Callable[..., str]:
    """unique_name("Globex") -> "Globex 1f3a…": names never collide across tests."""
    return random_name


@pytest.fixture
def new_company(client: TestClient) -> Callable[..., dict[str, Any]]:
    def create(name: str | None = None) -> dict[str, Any]:
        body = {"name": name or random_name(), "admin": founder()}
        response = client.post("/api/v1/companies", json=body)
        assert response.status_code == 201, response.text
        company = response.json()
        company.pop("admin")  # the company as every later read answers it
        return company

    return create


@pytest.fixture
def auth(jwks: JwksServer) -> Callable[..., dict[str, str]]:
    """Headers carrying a valid access token: auth(company_id, role="admin", user_id=…)."""

    def headers(company_id: int, role: str = "admin", user_id: int = 7) -> dict[str, str]:
        return {"Authorization": f"Bearer {jwks.mint(user_id, company_id, role)}"}

    return headers
