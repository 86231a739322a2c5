"""Alembic glue shared by the services.

Each service keeps its own migration tree and version table inside its own schema.
`run_migrations` holds a PostgreSQL advisory lock while upgrading, so replicas that start
at the same moment migrate one after the other instead of racing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, create_engine, text
from sqlalchemy.pool import NullPool

from media_common.settings import ServiceSettings


def run_migrations(script_location: Path, settings: ServiceSettings, schema: str) -> None:
    """Upgrade the service's schema to head (safe to call from several processes at once)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    engine = create_engine(settings.database_url, poolclass=NullPool)
    lock = text("SELECT pg_advisory_lock(hashtext(:name))")
    unlock = text("SELECT pg_advisory_unlock(hashtext(:name))")
    name = f"migrate:{schema}"
    try:
        with engine.connect() as conn:
            conn.execute(lock, {"name": name})
            conn.commit()  # the session-level lock outlives this transaction
            try:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
            finally:
                conn.execute(unlock, {"name": name})
                conn.commit()
    finally:
        engine.dispose()


def run_env(
    metadata: MetaData, schema: str, settings_factory: Callable[[], ServiceSettings]
) -> None:
    """Body of a service's `migrations/env.py` (online mode only)."""

    def include_name(name: str | None, type_: str, _: object) -> bool:
        return type_ != "schema" or name == schema

    def migrate(conn: Connection) -> None:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    engine = create_engine(settings_factory().database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            migrate(conn)
            conn.commit()
    finally:
        engine.dispose()
