"""Migrations: upgrade, full downgrade and upgrade again on a database of their own."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from company_service.migrate import MIGRATIONS, migrate
from company_service.models import SCHEMA, Base
from company_service.settings import Settings
from media_common.testing import drop_database, provision_database


@pytest.fixture
def scratch_settings(admin_dsn: str) -> Iterator[Settings]:
    params = provision_database(admin_dsn, ["company"])
    yield Settings(**params.as_settings(), internal_token="x")
    drop_database(admin_dsn, params.db_name)


def tables(settings: Settings) -> set[str]:
    engine = create_engine(settings.database_url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names(schema="company"))
    finally:
        engine.dispose()


def test_migrations_are_reversible(scratch_settings):
    migrate(scratch_settings)
    migrate(scratch_settings)  # a second run (another replica) is a no-op
    assert {"companies", "plan_history", "alembic_version"} <= tables(scratch_settings)

    engine = create_engine(scratch_settings.database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            conn.commit()
    finally:
        engine.dispose()
    assert tables(scratch_settings) <= {"alembic_version"}

    migrate(scratch_settings)
    assert {"companies", "plan_history"} <= tables(scratch_settings)


def test_models_match_the_migrations(scratch_settings):
    migrate(scratch_settings)
    engine = create_engine(scratch_settings.database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_schemas": True,
                    "version_table_schema": SCHEMA,
                    "include_name": lambda name, type_, _: type_ != "schema" or name == SCHEMA,
                },
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_replicas_migrating_at_once_all_succeed(scratch_settings):
    """Six replicas starting together: the advisory lock serialises them, none fails."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [pool.submit(migrate, scratch_settings) for _ in range(6)]
        for future in results:
            future.result()
    engine = create_engine(scratch_settings.database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT version_num FROM company.alembic_version")
            assert len(versions.all()) == 1
    finally:
        engine.dispose()
    assert {"companies", "plan_history"} <= tables(scratch_settings)
