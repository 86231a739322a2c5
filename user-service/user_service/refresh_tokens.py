"""Refresh tokens: opaque random strings, stored only as SHA-256, rotated on every use.

Each login starts a family; every refresh marks the presented token used and issues the
next one in the same family. A used or revoked token coming back means it leaked (or a
client misbehaves), so the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.models import utcnow
from user_service.models import RefreshToken


def _digest(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


async def issue_refresh_token(
    session: AsyncSession, user_id: int, ttl: timedelta, family_id: uuid.UUID | None = None
) -> str:
    """A new token (returned once, in clear) in `family_id`, or in a new family."""
    raw = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=_digest(raw),
            expires_at=utcnow() + ttl,
        )
    )
    await session.flush()
    return raw


async def lock_refresh_token(session: AsyncSession, raw: str) -> RefreshToken | None:
    """The stored token for `raw`, row-locked so two uses of it are serialised."""
    query = select(RefreshToken).where(RefreshToken.token_hash == _digest(raw)).with_for_update()
    return (await session.scalars(query)).first()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_user_tokens(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
