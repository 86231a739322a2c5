"""Async paging: the page and its total in one statement, a count only past the end, and
the `?limit=`/`?offset=` dependency on the event loop with the shared bounds."""

from __future__ import annotations

import inspect
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, column, event, select, table, text

from media_common.db import Database
from media_common.paging import (
    PagedQuery,
    PageParams,
    PageQuery,
    fetch_page,
    page_params,
    read_page,
)
from media_common.settings import ServiceSettings
from media_common.testing import DbParams, run_with_database


def test_a_page_and_its_total(test_db: DbParams) -> None:
    name = f"paging_{uuid.uuid4().hex[:8]}"
    numbers = table(name, column("n"), schema="public")
    query = select(numbers.c.n).order_by(numbers.c.n.desc())
    statements: list[str] = []

    async def work(database: Database) -> list[tuple[list[int], int]]:
        async with database.engine.begin() as conn:
            await conn.execute(
                text(f"CREATE TABLE public.{name} AS SELECT generate_series(1, 5) AS n")
            )
        event.listen(
            database.engine.sync_engine,
            "before_cursor_execute",
            lambda *args: statements.append(args[2]),
        )
        answers = []
        try:
            for limit, offset in ((2, 0), (2, 4), (2, 5), (2, 0)):
                async with database.read_sessionmaker() as session:
                    rows, total = await fetch_page(session, query, PageParams(limit, offset))
                answers.append(([row.n for row in rows], total))
        finally:
            async with database.engine.begin() as conn:
                await conn.execute(text(f"DROP TABLE public.{name}"))
        return answers

    settings = ServiceSettings(**test_db.as_settings(), service_name="aio-paging-test")
    answers = run_with_database(settings, work)
    assert answers == [([5, 4], 5), ([1], 5), ([], 5), ([5, 4], 5)]
    # one statement a page, two for the page past the end
    assert len([s for s in statements if s.startswith("SELECT") and name in s]) == 5


def test_the_page_query_runs_on_the_event_loop() -> None:
    assert inspect.iscoroutinefunction(page_params)
    app = FastAPI()

    @app.get("/items")
    async def items(page: PageQuery) -> dict[str, int]:
        return {"limit": page.limit, "offset": page.offset}

    client = TestClient(app)
    assert client.get("/items").json() == {"limit": 20, "offset": 0}
    assert client.get("/items?limit=100&offset=7").json() == {"limit": 100, "offset": 7}
    for query in ("limit=0", "limit=101", "offset=-1", f"offset={2**63}", "limit=x"):
        assert client.get(f"/items?{query}").status_code == 422, query


def test_a_compiled_page_on_the_reader(test_db: DbParams) -> None:
    name = f"paging_{uuid.uuid4().hex[:8]}"
    numbers = table(name, column("n"), schema="public")
    query = PagedQuery(
        select(numbers.c.n).where(numbers.c.n >= bindparam("least")).order_by(numbers.c.n.desc())
    )
    statements: list[str] = []

    async def work(database: Database) -> list[tuple[list[int], int]]:
        async with database.engine.begin() as conn:
            await conn.execute(
                text(f"CREATE TABLE public.{name} AS SELECT generate_series(1, 5) AS n")
            )
        database.reader.observers.append(statements.append)
        answers = []
        try:
            for limit, offset in ((2, 0), (2, 3), (2, 4), (2, 0)):
                rows, total = await read_page(
                    database.reader, query, PageParams(limit, offset), least=2
                )
                answers.append(([row.n for row in rows], total))
        finally:
            async with database.engine.begin() as conn:
                await conn.execute(text(f"DROP TABLE public.{name}"))
        return answers

    settings = ServiceSettings(**test_db.as_settings(), service_name="aio-paging-test")
    answers = run_with_database(settings, work)
    assert answers == [([5, 4], 4), ([2], 4), ([], 4), ([5, 4], 4)]
    assert len(statements) == 5  # one a page, two for the page past the end
