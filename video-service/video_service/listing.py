"""Reads as rows of columns, and a page of a list with its total in one statement."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

# A row of selected columns (attribute access by column name), whatever the columns.
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


async def page_with_total(
    session: AsyncSession, query: AnySelect, *, limit: int, offset: int
) -> tuple[list[AnyRow], int]:
    """The rows of `query` from `offset` (at most `limit`) and how many rows it has.

    `count(*) OVER ()` is computed before LIMIT and OFFSET, so the page and its total come
    in one round trip. An empty page past the end carries no total: only then (an offset
    beyond the last row) a second statement counts.
    """
    counted = query.add_columns(func.count().over().label("total")).limit(limit).offset(offset)
    rows = list((await session.execute(counted)).all())
    if rows:
        return rows, int(rows[0].total)
    if offset == 0:
        return [], 0
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return [], int(total or 0)
