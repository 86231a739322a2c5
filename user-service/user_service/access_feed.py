"""The access feed: users whose role changed or who were deleted, for the other services.

company- and video-service poll it every second or so (media_common.access) and so follow
role changes and deletions within seconds without asking user-service per request. The
feed is a snapshot, not a stream: every user whose access changed within the horizon
(`ACCESS_FEED_HORIZON_SECONDS`, at least the lifetime of any token a service accepts).
A change older than that concerns no token still alive: access tokens carry the role at
issue, and a deleted user gets no new ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from user_service.models import User


async def changed_users(
    session: AsyncSession, now: datetime, horizon_seconds: int
) -> list[dict[str, object]]:
    rows = await session.execute(
        select(User.id, User.company_id, User.role, User.deleted_at).where(
            User.access_changed_at > now - timedelta(seconds=horizon_seconds)
        )
    )
    return [
        {
            "id": row.id,
            "company_id": row.company_id,
            "role": row.role,
            "deleted": row.deleted_at is not None,
        }
        for row in rows
    ]
