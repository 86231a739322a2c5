"""The founding admin of a company, created for company-service (see its founding.py).

`create_founder` is idempotent (company-service may retry it): the same email for the
same company answers the user made the first time. `cancel_founding` settles a founding
company-service gave up on: it deletes a founder already created (freeing the email) and,
by keeping the `company_founders` row, refuses a creation still in flight. Both take the
row on the company id first, so a creation and a cancellation of one company serialise.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.errors import Conflict
from user_service.accounts import ADMIN, create_user, remove_user
from user_service.models import CompanyFounder, User
from user_service.passwords import PasswordHasher
from user_service.schemas import FounderCreate


async def _claim(session: AsyncSession, company_id: int, now: datetime, *, cancelled: bool) -> bool:
    """Insert the company's founding row; False when it exists (then it is locked)."""
    claim = (
        insert(CompanyFounder)
        .values(company_id=company_id, created_at=now, cancelled_at=now if cancelled else None)
        .on_conflict_do_nothing(index_elements=[CompanyFounder.company_id])
        .returning(CompanyFounder.company_id)
    )
    if (await session.execute(claim)).first() is not None:
        return True
    (
        await session.scalars(
            select(CompanyFounder).where(CompanyFounder.company_id == company_id).with_for_update()
        )
    ).one()
    return False


async def create_founder(
    session: AsyncSession,
    passwords: PasswordHasher,
    company_id: int,
    data: FounderCreate,
    now: datetime,
) -> tuple[User, bool]:
    """The company's admin, and whether this call created it."""
    password_hash = await passwords.hash(data.password)  # before any query: no connection held
    if not await _claim(session, company_id, now, cancelled=False):
        founding = await session.get(CompanyFounder, company_id)
        assert founding is not None  # locked by _claim
        user = await session.get(User, founding.user_id) if founding.user_id else None
        if (
            founding.cancelled_at is None
            and user is not None
            and user.deleted_at is None
            and user.email == data.email
        ):
            return user, False
        raise Conflict("This company's founding is settled already")
    user = await create_user(
        session,
        email=data.email,
        password_hash=password_hash,
        name=data.name,
        company_id=company_id,
        role=ADMIN,
    )
    founding = await session.get(CompanyFounder, company_id)
    assert founding is not None
    founding.user_id = user.id
    await session.flush()
    return user, True


async def cancel_founding(session: AsyncSession, company_id: int, now: datetime) -> None:
    """Delete the founder, if any, and refuse any later founder of the company."""
    if await _claim(session, company_id, now, cancelled=True):
        return
    founding = await session.get(CompanyFounder, company_id)
    assert founding is not None
    if founding.cancelled_at is None:
        founding.cancelled_at = now
    if founding.user_id is not None:
        user = await session.get(User, founding.user_id)
        if user is not None and user.deleted_at is None:
            await remove_user(session, user, now)
    await session.flush()
