"""The async database of a service: one engine on asyncpg, two kinds of session.

- `session()`: one transaction per request, committed when the request succeeds (or
  fails with an `AppError` that keeps its changes), else rolled back. Writes go here.
- `read_session()`: autocommit, every statement its own snapshot: for routes that only
  read, one round trip per statement instead of BEGIN, the statement and COMMIT.

A connection is pinged at checkout only when it has been idle for `IDLE_PING_SECONDS`:
under load a connection goes back and forth without the extra round trip, while one that
sat through a PostgreSQL restart is found dead and replaced before a request uses it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from media_common.errors import AppError
from media_common.settings import ServiceSettings

logger = logging.getLogger(__name__)
IDLE_PING_SECONDS = 2.0
_CHECKED_IN_AT = "checked_in_at"


class Database:
    """One engine and its session factories per app instance (tests build several)."""

    def __init__(self, settings: ServiceSettings, *, pool_size: int | None = None) -> None:
        size = pool_size if pool_size is not None else settings.db_pool_size
        self.engine: AsyncEngine = create_async_engine(
            settings.async_database_url,
            pool_size=size,
            max_overflow=size,
            pool_recycle=1800,
            connect_args={
                "timeout": 5,
                "server_settings": {
                    "application_name": settings.service_name,
                    "client_encoding": "utf8",
                },
            },
        )
        _ping_when_idle(self.engine)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessionmaker = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    async def session(self) -> AsyncIterator[AsyncSession]:
        """FastAPI dependency: the request's transaction (see the module docstring)."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except AppError as error:
                await (session.commit() if error.keeps_changes else session.rollback())
                raise
            except BaseException:
                await session.rollback()
                raise

    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """FastAPI dependency: statements in autocommit, for routes that only read."""
        async with self.read_sessionmaker() as session:
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ping_when_idle(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(_: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _: Any) -> None:
        idle_since = record.info.get(_CHECKED_IN_AT)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            alive = sync_engine.dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if not alive:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError("connection found dead after being idle")


def violated_constraint(error: exc.DBAPIError) -> str | None:
    """The name of the constraint a statement violated (asyncpg's error, under
    SQLAlchemy's wrapper), or None."""
    return getattr(error.orig.__cause__, "constraint_name", None) if error.orig else None


def sqlstate(error: exc.DBAPIError) -> str | None:
    """The SQLSTATE of a failed statement (`55P03` lock not available, ...), or None."""
    return getattr(error.orig, "sqlstate", None) if error.orig else None
