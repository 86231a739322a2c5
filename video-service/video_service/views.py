"""Views and the points outbox: a user's first stream of a video earns points once.

The view row is unique on (user, video); the outbox row is written in the same
transaction, so either both exist or neither. Delivery is the dispatcher's job.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from video_service.models import OutboxEntry, View

REASON = "video_view"


def idempotency_key(user_id: int, video_id: int) -> str:
    # Keyed by the pair, not the view id: the pair is what must be credited once.
    return f"view:{user_id}:{video_id}"


def record_view(
    session: Session, user_id: int, company_id: int, video_id: int, points: int
) -> bool:
    """Record the view; True when it was the first (and an outbox row was added)."""
    view_id = session.execute(
        pg_insert(View)
        .values(user_id=user_id, company_id=company_id, video_id=video_id)
        .on_conflict_do_nothing(index_elements=["user_id", "video_id"])
        .returning(View.id)
    ).scalar_one_or_none()
    if view_id is None:
        return False
    session.execute(
        insert(OutboxEntry).values(
            idempotency_key=idempotency_key(user_id, video_id),
            user_id=user_id,
            amount=points,
            reason=REASON,
            reference=f"video:{video_id}",
        )
    )
    return True
