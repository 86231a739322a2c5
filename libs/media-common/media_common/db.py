"""The async database of a service: one engine on asyncpg, two kinds of session and a
reader for the hot reads.

- `session()`: one transaction per request, committed when the request succeeds (or
  fails with an `AppError` that keeps its changes), else rolled back. Writes go here.
- `read_session()`: autocommit, every statement its own snapshot: for routes that only
  read, one round trip per statement instead of BEGIN, the statement and COMMIT.
- `reader`: runs `Query`s, Core statements compiled once at import, straight on the
  asyncpg connection of a pooled connection taken for the statement (autocommit): the
  hot reads of the request path. Measured here, CPU per statement: ~65 µs, against
  ~185 µs for the same statement through SQLAlchemy's Core execution and ~400 µs for an
  ORM load in a session.

A connection is pinged at checkout only when it has been idle for `IDLE_PING_SECONDS`:
under load a connection goes back and forth without the extra round trip, while one that
sat through a PostgreSQL restart is found dead and replaced before a request uses it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ClauseElement, event, exc, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from media_common.errors import AppError
from media_common.settings import ServiceSettings

logger = logging.getLogger(__name__)
IDLE_PING_SECONDS = 2.0
_CHECKED_IN_AT = "checked_in_at"


class Database:
    """One engine and its session factories per app instance (tests build several)."""

    def __init__(self, settings: ServiceSettings, *, pool_size: int | None = None) -> None:
        size = pool_size if pool_size is not None else settings.db_pool_size
        # A fixed pool: requests beyond it wait on the event loop for a connection. No
        # overflow: overflow connections are closed as soon as they come back, and under
        # bursts that meant a new connection (TCP, SSL attempt, auth) for most requests.
        self.engine: AsyncEngine = create_async_engine(
            settings.async_database_url,
            pool_size=size,
            max_overflow=0,
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
        self.reader = Reader(self.engine)
        # Called with a request transaction's `session.info` once it has committed: what
        # the transaction wrote may wake background work in this process at once.
        self.after_commit: list[Callable[[dict[str, Any]], None]] = []

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The request's transaction (see the module docstring). A context manager, so a
        dependency wraps it with `async with` and the route's error reaches it: with
        `async for` the error would end the loop instead, and the transaction would be
        rolled back only when the generator is collected, whatever the error said."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except AppError as error:
                if error.keeps_changes:
                    await session.commit()
                    self._committed(session)
                else:
                    await session.rollback()
                raise
            except BaseException:
                await session.rollback()
                raise
            self._committed(session)

    def _committed(self, session: AsyncSession) -> None:
        for hook in self.after_commit:
            hook(session.info)

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """Statements in autocommit, for routes that only read."""
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


class Query:
    """A read-only Core statement compiled once, for asyncpg (`$1`, `$2`, ...).

    Named `bindparam`s are filled per call (`reader.one(QUERY, video_id=5)`); literal
    values in the statement are bound as compiled. Rows come back as `Row`s.
    """

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self._names = tuple(compiled.positiontup or ())
        binds = {name: compiled.binds[name] for name in self._names}
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("expanding (IN) parameters cannot be compiled once")
        self._required = frozenset(name for name, bind in binds.items() if bind.required)
        self._fixed = {name: compiled.params[name] for name in self._names}

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        missing = self._required - params.keys()
        if missing:
            raise TypeError(f"missing query parameters: {sorted(missing)}")
        return [params[name] if name in params else self._fixed[name] for name in self._names]


_DIALECT = asyncpg_dialect()


class Row(dict[str, Any]):
    """A result row by column label, as keys and as attributes (`row.plan`), so the rules
    written against ORM objects (`effective_plan(company, now)`) read it as well."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Reader:
    """Runs `Query`s, each on a pooled connection of its own, in autocommit (asyncpg runs
    a statement outside a transaction unless told otherwise, and nothing here begins one).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # Called with the SQL of every statement (SQLAlchemy's execute events do not see
        # these): tests count a route's statements with it.
        self.observers: list[Callable[[str], None]] = []

    async def one(self, query: Query, **params: Any) -> Row | None:
        """The first row, or None."""
        record = await self._run("fetchrow", query, params)
        return None if record is None else Row(record.items())

    async def all(self, query: Query, **params: Any) -> list[Row]:
        return [Row(record.items()) for record in await self._run("fetch", query, params)]

    async def scalar(self, query: Query, **params: Any) -> Any:
        return await self._run("fetchval", query, params)

    async def _run(self, method: str, query: Query, params: dict[str, Any]) -> Any:
        arguments = query.arguments(params)
        for observe in self.observers:
            observe(query.sql)
        connection = await self._engine.raw_connection()
        try:
            return await getattr(connection.driver_connection, method)(query.sql, *arguments)
        except BaseException:
            # Failed or cancelled mid-statement: never hand this connection out again.
            await greenlet_spawn(connection.invalidate)
            raise
        finally:
            await greenlet_spawn(connection.close)


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
