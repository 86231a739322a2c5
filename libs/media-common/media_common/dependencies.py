"""The database dependencies every service's routes take, from the app's composition root
(`app.state.runtime.db`, a `media_common.db.Database`).

- `SessionDep`: the request's transaction, for routes that write; committed when the route
  returns, before the response is sent (`scope="function"`), so a client that got its 2xx
  can rely on the change; wrapped with `async with`, so the route's error reaches it.
- `ReadSessionDep`: statements in autocommit, for routes that only read through the ORM.
- `ReaderDep`: compiled queries straight on the driver (`media_common.db.Query`), each on
  a pooled connection given back at once: the hot reads. A route that reads there and
  then writes in `SessionDep` never holds two connections at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.db import Database, Reader


def _database(request: Request) -> Database:
    database: Database = request.app.state.runtime.db
    return database


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _database(request).session() as session:
        yield session


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _database(request).read_session() as session:
        yield session


async def _reader(request: Request) -> Reader:
    return _database(request).reader


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]
ReaderDep = Annotated[Reader, Depends(_reader)]
