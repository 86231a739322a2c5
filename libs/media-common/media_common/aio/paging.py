"""Paging on the async request path: `?limit=`/`?offset=` as an `async def` dependency
(a class dependency such as `media_common.paging.PageQuery` is called in the thread pool),
and a page fetched together with its total in one statement: `fetch_page` in a session,
`read_page` with a `PagedQuery` compiled once, on the reader (the hot lists).

The rules are `media_common.paging`'s: limit 1..100 (default 20), offset 0..INT64_MAX,
answered as `Page[T]`.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from fastapi import Depends, Query
from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.aio import db
from media_common.paging import INT64_MAX, LIMIT_DEFAULT, LIMIT_MAX, PageParams

TOTAL = "total"
# Rows and selects of any columns.
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=LIMIT_MAX, description="How many items, at most 100.")
    ] = LIMIT_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX, description="How many to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageQuery = Annotated[PageParams, Depends(page_params)]


async def fetch_page(
    session: AsyncSession, query: AnySelect, page: PageParams
) -> tuple[list[AnyRow], int]:
    """The rows of `query` (ordered by the caller) on `page`, and how many there are.

    The total rides along on every row (`count(*) OVER ()`, the rows also carry it as
    `total`), so a page costs one statement; only a page past the end, which has no row
    to carry it, costs a second one to count.
    """
    rows = list(
        (
            await session.execute(
                query.add_columns(func.count().over().label(TOTAL))
                .limit(page.limit)
                .offset(page.offset)
            )
        ).all()
    )
    if rows:
        return rows, int(rows[0].total)
    if page.offset == 0:
        return [], 0
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return [], int(total or 0)


class PagedQuery:
    """A list statement (ordered, with named `bindparam`s) compiled once for `read_page`:
    the page with its total riding along, and the count for a page past the end."""

    def __init__(self, query: AnySelect) -> None:
        self.page = db.Query(
            query.add_columns(func.count().over().label(TOTAL))
            .limit(bindparam("page_limit"))
            .offset(bindparam("page_offset"))
        )
        self.count = db.Query(select(func.count()).select_from(query.order_by(None).subquery()))


async def read_page(
    reader: db.Reader, query: PagedQuery, page: PageParams, **params: Any
) -> tuple[list[db.Row], int]:
    """`fetch_page` on the reader: one statement a page, two for a page past the end."""
    rows = await reader.all(query.page, page_limit=page.limit, page_offset=page.offset, **params)
    if rows:
        return rows, int(rows[0][TOTAL])
    if page.offset == 0:
        return [], 0
    return [], int(await reader.scalar(query.count, **params) or 0)
