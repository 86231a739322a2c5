"""Views and the points outbox: a user's first stream of a video earns points once.

The view row is unique on (user, video); the outbox row is written in the same
transaction, so either both exist or neither. Delivery is the dispatcher's job.
"""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import BigInteger, Integer, String, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.request_id import current_request_id
from video_service.models import OutboxEntry, View

REASON = "video_view"
# Set on a session that added an outbox row; the dispatcher of this process wakes at its
# commit (the row is visible then) instead of at its next poll.
OUTBOX_WRITTEN = "outbox_written"


def idempotency_key(user_id: int, video_id: int) -> str:
    # Keyed by the pair, not the view id: the pair is what must be credited once.
    return f"view:{user_id}:{video_id}"


async def record_view(
    session: AsyncSession, user_id: int, company_id: int, video_id: int, points: int
) -> bool:
    """Record the view; True when it was the first (and an outbox row was added).

    One statement: the outbox row is inserted from what the view insert returned, so both
    rows exist or neither, and a view already recorded costs one round trip.
    """
    view = (
        pg_insert(View)
        .values(user_id=user_id, company_id=company_id, video_id=video_id)
        .on_conflict_do_nothing(index_elements=["user_id", "video_id"])
        .returning(View.id)
        .cte("new_view")
    )
    credit = (
        insert(OutboxEntry)
        .from_select(
            ["idempotency_key", "user_id", "amount", "reason", "reference", "request_id"],
            select(
                literal(idempotency_key(user_id, video_id), String),
                literal(user_id, BigInteger),
                literal(points, Integer),
                literal(REASON, String),
                literal(f"video:{video_id}", String),
                literal(current_request_id(), String),
            ).select_from(view),
        )
        .returning(OutboxEntry.id)
    )
    if (await session.execute(credit)).scalar_one_or_none() is None:
        return False
    session.info[OUTBOX_WRITTEN] = True
    return True


class SeenViews:
    """(user, video) pairs this process knows to have a committed view row already.

    A player sends many requests that start playback (seeks back to 0, reloads); once the
    database has answered "already viewed" for a pair, later requests skip the no-op
    insert. Only a conflict (a row another transaction committed) marks a pair, never a
    fresh insert, so a rolled-back view is never remembered. Bounded, least recent out.
    Used from the event loop only (no lock).
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._pairs: OrderedDict[tuple[int, int], None] = OrderedDict()

    def __contains__(self, pair: tuple[int, int]) -> bool:
        if pair in self._pairs:
            self._pairs.move_to_end(pair)
            return True
        return False

    def add(self, pair: tuple[int, int]) -> None:
        self._pairs[pair] = None
        self._pairs.move_to_end(pair)
        if len(self._pairs) > self.capacity:
            self._pairs.popitem(last=False)
