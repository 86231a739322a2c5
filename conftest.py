"""Fixtures shared by every test suite in the repository (one pytest process runs them all)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from media_common.testing import DbParams, JwksServer, drop_database, provision_database

SCHEMAS = ["company", "identity", "video"]


@pytest.fixture(scope="session")
def admin_dsn() -> str:
    dsn = os.environ.get("MEDIA_TEST_ADMIN_DSN")
    if not dsn:
        pytest.fail("MEDIA_TEST_ADMIN_DSN is not set: run the tests with ./scripts/test")
    return dsn


@pytest.fixture(scope="session")
def test_db(admin_dsn: str) -> Iterator[DbParams]:
    """One fresh database for the whole run, holding the three service schemas."""
    params = provision_database(admin_dsn, SCHEMAS)
    yield params
    drop_database(admin_dsn, params.db_name)


@pytest.fixture(scope="session")
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()
