"""Paging, the same in every list of the platform: `?limit=` (1..100, default 20) and
`?offset=` (0..INT64_MAX), answered as `{"items", "total", "limit", "offset"}`; the bound
of every BIGINT id and offset a request may carry; `?limit=`/`?offset=` as an `async def`
dependency (a class dependency would be called in the thread pool); and a page fetched
together with its total in one statement: `fetch_page` in a session, `read_page` with a
`PagedQuery` compiled once, on the reader (the hot lists)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeAlias, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Row as SqlRow
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from media_common import db

# BIGINT: an id or offset beyond it cannot exist, and must not reach the database.
INT64_MAX = 2**63 - 1
LIMIT_DEFAULT = 20
LIMIT_MAX = 100

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """One page of a list; subclass it per item (`class VideoPage(Page[VideoRead])`) so
    the OpenAPI document keeps a readable schema name."""

    items: list[Item]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageParams:
    limit: int = LIMIT_DEFAULT
    offset: int = 0


TOTAL = "total"
# Rows and selects of any columns.
AnyRow: TypeAlias = SqlRow[*tuple[Any, ...]]
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
