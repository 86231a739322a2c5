"""Invitations: the only way into a company besides founding it.

An admin invites an email with a role; the token (random, 256 bits) is shown once and
stored as its SHA-256. It works once, for `INVITATION_TTL` (7 days), and only for that
email, company and role. A new invitation for the same email and company replaces the
pending one. Accepting locks the invitation's row, so one token used twice at once makes
exactly one user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.auth import Claims
from media_common.db import violated_constraint
from media_common.errors import Conflict, Forbidden, NotFound
from media_common.paging import AnyRow, PageParams, fetch_page
from user_service.accounts import create_user, email_taken
from user_service.company_client import CompanyDirectory
from user_service.models import PENDING_INVITATION_INDEX, Invitation, User
from user_service.passwords import PasswordHasher
from user_service.schemas import UserCreate

INVITATION_TTL = timedelta(days=7)


def _digest(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


def _pending(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )


async def invite(
    session: AsyncSession, admin: Claims, email: str, role: str, now: datetime
) -> tuple[Invitation, str]:
    """A new invitation and its token (in clear, this once)."""
    if await email_taken(session, email):
        raise Conflict("A user with this email already exists")
    await session.execute(
        update(Invitation)
        .where(
            Invitation.company_id == admin.company_id,
            Invitation.email == email,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        company_id=admin.company_id,
        email=email,
        role=role,
        token_hash=_digest(raw),
        invited_by=admin.user_id,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    session.add(invitation)
    try:
        await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == PENDING_INVITATION_INDEX:
            raise Conflict("Another invitation for this email is being made; retry") from exc
        raise
    return invitation, raw


async def list_pending(
    session: AsyncSession, company_id: int, now: datetime, page: PageParams
) -> tuple[list[AnyRow], int]:
    """A page of the company's pending invitations (the columns of schemas.InvitationRead,
    no token), newest first, and how many there are."""
    query = (
        select(
            Invitation.id,
            Invitation.email,
            Invitation.role,
            Invitation.company_id,
            Invitation.expires_at,
            Invitation.created_at,
        )
        .where(Invitation.company_id == company_id, *_pending(now))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return await fetch_page(session, query, page)


async def revoke(session: AsyncSession, company_id: int, invitation_id: int, now: datetime) -> None:
    """Revoke a pending invitation of the company; anything else is not found."""
    revoked = await session.scalar(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.company_id == company_id, *_pending(now))
        .values(revoked_at=now)
        .returning(Invitation.id)
    )
    if revoked is None:
        raise NotFound("Invitation not found")


async def accept(
    session: AsyncSession,
    companies: CompanyDirectory,
    passwords: PasswordHasher,
    data: UserCreate,
    now: datetime,
) -> User:
    """The new user the invitation names; 403 for an unusable token or company."""
    password_hash = await passwords.hash(data.password)  # before any query: no connection held
    invitation = (
        await session.scalars(
            select(Invitation)
            .where(Invitation.token_hash == _digest(data.invitation_token))
            .with_for_update()
        )
    ).first()
    if invitation is None or invitation.used_at is not None or invitation.revoked_at is not None:
        raise Forbidden("This invitation is unknown, used or revoked")
    if invitation.expires_at <= now:
        raise Forbidden("This invitation has expired")
    if not await companies.is_active(invitation.company_id):
        raise Forbidden("The company of this invitation is not active")
    user = await create_user(
        session,
        email=invitation.email,
        password_hash=password_hash,
        name=data.name,
        company_id=invitation.company_id,
        role=invitation.role,
    )
    invitation.used_at = now
    await session.flush()
    return user
