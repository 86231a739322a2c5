"""Paging, the same in every list of the platform: `?limit=` (1..100, default 20) and
`?offset=` (0..INT64_MAX), answered as `{"items", "total", "limit", "offset"}`; and the
bound of every BIGINT id and offset a request may carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

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
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX, description="How many items, at most 100.")] = (
        LIMIT_DEFAULT
    )
    offset: Annotated[int, Query(ge=0, le=INT64_MAX, description="How many to skip.")] = 0


PageQuery = Annotated[PageParams, Depends()]
