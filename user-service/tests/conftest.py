"""Fixtures of the user-service suite: migrated database, a fake company-service, the app
(in-process client and a real HTTP server for races) and small data factories."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from media_common.testing import DbParams

sys.path.insert(0, str(Path(__file__).parent))
from user_factories import INTERNAL_TOKEN, Factory, FakeCompanyService, free_port

from user_service.main import create_app
from user_service.migrate import migrate
from user_service.settings import Settings


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def companies() -> Iterator[FakeCompanyService]:
    fake = FakeCompanyService(INTERNAL_TOKEN)
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def user_settings(
    test_db: DbParams, private_key_pem: str, companies: FakeCompanyService
) -> Settings:
    settings = Settings(
        **test_db.as_settings(),
        internal_token=INTERNAL_TOKEN,
        jwt_private_key=private_key_pem,
        company_service_url=companies.url,
        bcrypt_rounds=4,
        db_pool_size=20,
    )
    migrate(settings)
    return settings


@pytest.fixture(scope="session")
def user_app(user_settings: Settings) -> FastAPI:
    return create_app(user_settings)


@pytest.fixture(scope="session")
def client(user_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(user_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_url(user_settings: Settings) -> Iterator[str]:
    """The app behind a real uvicorn server (real threads, real sockets) for race tests."""
    port = free_port()
    config = uvicorn.Config(
        create_app(user_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def engine(user_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(user_settings.database_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture
def make(client: TestClient, companies: FakeCompanyService) -> Factory:
    return Factory(client, companies)
