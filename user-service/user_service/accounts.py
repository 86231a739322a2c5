"""Users: creation, who may see whom, profile and role changes, deletion."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.auth import Claims
from media_common.db import Query, Reader, Row, violated_constraint
from media_common.errors import Conflict, Forbidden, NotFound
from media_common.models import utcnow
from media_common.paging import INT64_MAX, PagedQuery, PageParams, read_page
from user_service.models import EMAIL_UNIQUE_INDEX, User
from user_service.passwords import PasswordHasher
from user_service.refresh_tokens import revoke_user_tokens
from user_service.schemas import UserUpdate

ADMIN, MEMBER = "admin", "member"

_USERS = User.__table__.c
# What the API shows of a user (schemas.UserRead), read as plain columns: the hot read
# paths (the caller's own row, the admin's list) build no ORM objects and run statements
# compiled once (media_common.db.Query) on the reader.
ACCOUNT_COLUMNS = (
    _USERS.id,
    _USERS.email,
    _USERS.name,
    _USERS.company_id,
    _USERS.role,
    _USERS.points,
    _USERS.created_at,
    _USERS.updated_at,
)
# A row of ACCOUNT_COLUMNS (attribute access by column name, as schemas.UserRead reads it).
Account: TypeAlias = Row

_LIVE_ACCOUNT = Query(
    select(*ACCOUNT_COLUMNS).where(
        _USERS.id == bindparam("user_id"),
        _USERS.company_id == bindparam("company_id"),
        _USERS.deleted_at.is_(None),
    )
)
_COMPANY_USERS = PagedQuery(
    select(*ACCOUNT_COLUMNS)
    .where(_USERS.company_id == bindparam("company_id"), _USERS.deleted_at.is_(None))
    .order_by(_USERS.created_at.desc(), _USERS.id.desc())
)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password_hash: str,
    name: str | None,
    company_id: int,
    role: str,
) -> User:
    """A new user; 409 when the email belongs to a live user (checked, then the index)."""
    if await _email_taken(session, email):
        raise Conflict("A user with this email already exists")
    user = User(
        email=email, password_hash=password_hash, name=name, company_id=company_id, role=role
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        # Two creations with one email raced past the check above; the index decides.
        if violated_constraint(exc) == EMAIL_UNIQUE_INDEX:
            raise Conflict("A user with this email already exists") from exc
        raise
    return user


async def email_taken(session: AsyncSession, email: str) -> bool:
    """True when a live user has this (normalised) email."""
    return await _email_taken(session, email)


async def _email_taken(session: AsyncSession, email: str) -> bool:
    query = select(User.id).where(User.email == email, User.deleted_at.is_(None))
    return (await session.scalars(query)).first() is not None


async def find_account(reader: Reader, user_id: int, company_id: int) -> Account | None:
    """The live user `user_id` of `company_id` as the API shows it, in one statement."""
    if not (0 < user_id <= INT64_MAX and 0 < company_id <= INT64_MAX):
        return None
    return await reader.one(_LIVE_ACCOUNT, user_id=user_id, company_id=company_id)


async def find_live_user(session: AsyncSession, user_id: int) -> User | None:
    user = await session.get(User, user_id)
    return user if user is not None and user.deleted_at is None else None


async def visible_user(session: AsyncSession, viewer: Claims, user_id: int) -> User:
    """A user `viewer` may see and manage: themselves, or anyone of their company when
    they are its admin. Other companies' users do not exist for them (404); colleagues
    are visible to admins only (403 for members)."""
    user = await find_live_user(session, user_id)
    if user is None or user.company_id != viewer.company_id:
        raise NotFound("User not found")
    if user.id != viewer.user_id and not viewer.is_admin:
        raise Forbidden("Only an admin may manage other users")
    return user


async def visible_account(reader: Reader, viewer: Claims, user_id: int) -> Account:
    """`visible_user` for reading only: the same rules, plain columns."""
    row = await find_account(reader, user_id, viewer.company_id)
    if row is None:
        raise NotFound("User not found")
    if row.id != viewer.user_id and not viewer.is_admin:
        raise Forbidden("Only an admin may manage other users")
    return row


async def list_company_users(
    reader: Reader, company_id: int, page: PageParams
) -> tuple[list[Account], int]:
    """A page of the company's live users, newest first, and how many there are."""
    return await read_page(reader, _COMPANY_USERS, page, company_id=company_id)


async def update_user(
    session: AsyncSession,
    passwords: PasswordHasher,
    actor: Claims,
    user: User,
    changes: UserUpdate,
) -> User:
    """Apply a PATCH: the user edits their own name and password, admins edit roles."""
    fields = changes.model_fields_set
    if fields & {"name", "password"} and actor.user_id != user.id:
        raise Forbidden("Only the user may change their name or password")
    if "role" in fields and not actor.is_admin:
        raise Forbidden("Only an admin may change roles")
    if changes.password is not None:
        current = changes.current_password or ""  # UserUpdate already requires it
        if not await passwords.verify(current, user.password_hash):
            raise Forbidden("The current password is wrong")
        user.password_hash = await passwords.hash(changes.password)
        # Other sessions may belong to whoever learned the old password.
        await revoke_user_tokens(session, user.id)
    if changes.role is not None:
        admins = await _lock_admins(session, actor, user)
        if changes.role != user.role:
            if changes.role == MEMBER and admins == [user.id]:
                raise Conflict("Cannot demote the last admin of a company; promote another first")
            user.role = changes.role
            user.access_changed_at = utcnow()
    if "name" in fields:
        user.name = changes.name
    await session.flush()
    return user


async def delete_user(session: AsyncSession, actor: Claims, user: User) -> None:
    """Soft delete (the row stays for the ledger); a company always keeps an admin (409)."""
    if actor.user_id != user.id or user.role == ADMIN:
        admins = await _lock_admins(session, actor, user)
        if user.role == ADMIN and admins == [user.id]:
            raise Conflict("Cannot delete the last admin of a company; promote another first")
    await remove_user(session, user, utcnow())


async def remove_user(session: AsyncSession, user: User, now: datetime) -> None:
    """The account is gone for every use: no login, no refresh, its tokens refused."""
    user.deleted_at = now
    user.access_changed_at = now
    await revoke_user_tokens(session, user.id)
    await session.flush()


async def _lock_admins(session: AsyncSession, actor: Claims, user: User) -> list[int]:
    """Lock the company's admin rows (in id order, so racing admins queue instead of
    deadlocking), then re-read the actor and the target `user`, which were read before
    the lock: two admins demoting each other at once leave one, and an admin demoted a
    moment ago acts no more. Returns the ids of the company's current admins."""
    query = (
        select(User.id)
        .where(User.company_id == actor.company_id, User.role == ADMIN, User.deleted_at.is_(None))
        .order_by(User.id)
        .with_for_update()
    )
    await session.flush()
    admins = list(await session.scalars(query))
    # Explicitly (no lazy loads under asyncio): the target as it is now.
    await session.refresh(user)
    if actor.user_id not in admins:
        raise Forbidden("Only the company's admins may do this")
    return admins
