"""Alembic glue shared by the services.

Each service keeps its own migration tree and version table inside its own schema.
`run_migrations` holds a PostgreSQL advisory lock while upgrading, so replicas that start
at the same moment migrate one after the other instead of racing. It waits (a little) for
the database to accept connections: in Swarm a service task may start before PostgreSQL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from media_common.settings import ServiceSettings

DATABASE_WAIT_SECONDS = 60
log = logging.getLogger(__name__)


def connect_when_ready(engine: Engine, wait_seconds: float = DATABASE_WAIT_SECONDS) -> Connection:
    """A connection, retried once a second while the database cannot be reached yet (name
    not resolvable, refused, still starting up) for up to wait_seconds."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return engine.connect()
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                raise
            log.warning("database not reachable yet, retrying: %s", str(exc).splitlines()[0])
            time.sleep(1)


def run_migrations(script_location: Path, settings: ServiceSettings, schema: str) -> None:
    """Upgrade the service's schema to head (safe to call from several processes at once)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    engine = create_engine(settings.database_url, poolclass=NullPool)
    lock = text("SELECT pg_advisory_lock(hashtext(:name))")
    unlock = text("SELECT pg_advisory_unlock(hashtext(:name))")
    name = f"migrate:{schema}"
    try:
        with connect_when_ready(engine) as conn:
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
