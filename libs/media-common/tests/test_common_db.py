"""The async Database on a real PostgreSQL: the request's transaction (commit, rollback,
an error that keeps its changes), autocommit reads, and a connection that died while
idle replaced at checkout instead of failing a request."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Integer, bindparam, create_engine, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from media_common import db as database_module
from media_common.db import Database, Query
from media_common.dependencies import SessionDep
from media_common.errors import AppError, NotFound, install_error_handlers
from media_common.settings import ServiceSettings
from media_common.testing import DbParams


class KeptError(AppError):
    keeps_changes = True


def settings(test_db: DbParams) -> ServiceSettings:
    return ServiceSettings(**test_db.as_settings(), service_name="aio-db-test", db_pool_size=2)


async def _in_request(database: Database, work: Any, *, fail: Exception | None = None) -> None:
    """Drive the session as a dependency does: the route's work, then its outcome."""
    if fail is None:
        async with database.session() as session:
            await work(session)
        return
    with pytest.raises(type(fail)):
        async with database.session() as session:
            await work(session)
            raise fail


def test_the_request_transaction_commits_rolls_back_or_keeps(test_db: DbParams) -> None:
    table = f"aio_{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        database = Database(settings(test_db))
        async with database.engine.begin() as conn:
            await conn.execute(text(f"CREATE TABLE public.{table} (note text)"))

        def insert(note: str) -> Any:
            async def work(session: AsyncSession) -> None:
                await session.execute(text(f"INSERT INTO public.{table} VALUES ('{note}')"))

            return work

        await _in_request(database, insert("committed"))
        await _in_request(database, insert("rolled back"), fail=NotFound())
        await _in_request(database, insert("kept"), fail=KeptError())
        await _in_request(database, insert("crashed"), fail=RuntimeError())
        async with database.engine.connect() as conn:
            rows = (await conn.execute(text(f"SELECT note FROM public.{table}"))).scalars()
            assert sorted(rows) == ["committed", "kept"]
            await conn.execute(text(f"DROP TABLE public.{table}"))
            await conn.commit()
        await database.dispose()

    asyncio.run(scenario())


def test_reads_run_in_autocommit_and_the_session_in_one_transaction(test_db: DbParams) -> None:
    xact = text("SELECT pg_current_xact_id()::text")

    async def scenario() -> None:
        database = Database(settings(test_db))
        async with database.read_session() as session:
            first, second = [(await session.execute(xact)).scalar() for _ in range(2)]
            assert first != second  # each statement its own transaction
        async with database.session() as session:
            first, second = [(await session.execute(xact)).scalar() for _ in range(2)]
            assert first == second  # one transaction
        await database.dispose()

    asyncio.run(scenario())


def test_a_connection_killed_while_idle_is_replaced(
    test_db: DbParams, admin_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "IDLE_PING_SECONDS", 0.0)
    admin = create_engine(admin_dsn.replace("postgresql://", "postgresql+psycopg2://", 1))

    async def scenario() -> None:
        database = Database(settings(test_db), pool_size=1)
        async with database.read_session() as session:
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with database.read_session() as session:
            assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar() != pid
        assert await database.ping()
        await database.dispose()

    try:
        asyncio.run(scenario())
    finally:
        admin.dispose()


def test_compiled_queries_read_rows_by_label_and_attribute(test_db: DbParams) -> None:
    numbers = Query(
        select(
            literal_column("n").label("n"), (literal_column("n") * bindparam("factor")).label("x")
        )
        .select_from(text("generate_series(1, 5) AS n"))
        .where(literal_column("n") <= bindparam("upto"))
        .order_by(literal_column("n"))
    )
    with pytest.raises(TypeError, match="upto"):
        numbers.arguments({"factor": 2})

    async def scenario() -> None:
        database = Database(settings(test_db))
        rows = await database.reader.all(numbers, factor=10, upto=3)
        assert [(row.n, row["x"]) for row in rows] == [(1, 10), (2, 20), (3, 30)]
        first = await database.reader.one(numbers, factor=1, upto=5)
        assert first is not None and first == {"n": 1, "x": 1}
        assert await database.reader.one(numbers, factor=1, upto=0) is None
        assert await database.reader.scalar(numbers, factor=7, upto=1) == 1
        with pytest.raises(AttributeError):
            _ = first.missing
        await database.dispose()

    asyncio.run(scenario())


def test_a_failed_read_does_not_return_its_connection_to_the_pool(test_db: DbParams) -> None:
    failing = Query(select(literal_column("1") / bindparam("zero", type_=Integer)))
    pid = Query(select(literal_column("pg_backend_pid()").label("pid")))

    async def scenario() -> None:
        database = Database(settings(test_db), pool_size=1)
        before = await database.reader.scalar(pid)
        with pytest.raises(asyncpg.DivisionByZeroError):
            await database.reader.scalar(failing, zero=0)
        after = await database.reader.scalar(pid)
        assert after != before  # a fresh connection, and the pool still serves
        await database.dispose()

    asyncio.run(scenario())


def test_a_route_error_reaches_the_transaction_through_the_dependency(test_db: DbParams) -> None:
    """The dependency every service uses (media_common.dependencies.SessionDep): an error
    that keeps its changes commits them, any other error rolls back, before the answer;
    the after-commit hooks see the committed transactions only."""
    table = f"aio_{uuid.uuid4().hex[:8]}"
    app = FastAPI()
    install_error_handlers(app)

    committed: list[str] = []

    @app.post("/notes/{note}")
    async def add(note: str, session: SessionDep) -> dict[str, str]:
        session.info["note"] = note
        await session.execute(text(f"INSERT INTO public.{table} VALUES (:note)"), {"note": note})
        if note == "kept":
            raise KeptError()
        if note == "refused":
            raise NotFound()
        return {"note": note}

    async def notes() -> list[str]:
        async with _DATABASES[0].engine.connect() as conn:
            rows = (await conn.execute(text(f"SELECT note FROM public.{table}"))).scalars()
            return sorted(rows)

    with TestClient(app) as client:
        database = Database(settings(test_db))
        database.after_commit.append(lambda info: committed.append(info["note"]))
        app.state.runtime = SimpleNamespace(db=database)
        _DATABASES.append(database)

        async def create() -> None:
            async with _DATABASES[0].engine.begin() as conn:
                await conn.execute(text(f"CREATE TABLE public.{table} (note text)"))

        async def drop() -> None:
            async with _DATABASES[0].engine.begin() as conn:
                await conn.execute(text(f"DROP TABLE public.{table}"))
            await _DATABASES.pop().dispose()

        client.portal.call(create)
        try:
            assert client.post("/notes/saved").status_code == 200
            assert client.post("/notes/kept").status_code == 400
            # answered: the transaction ended before the response, committed as it should
            assert client.portal.call(notes) == ["kept", "saved"]
            assert client.post("/notes/refused").status_code == 404
            assert client.portal.call(notes) == ["kept", "saved"]
            assert committed == ["saved", "kept"]  # the hooks saw the commits only
        finally:
            client.portal.call(drop)


_DATABASES: list[Database] = []
