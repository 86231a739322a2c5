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

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from media_common.auth import Claims
from media_common.errors import Conflict, Forbidden, NotFound
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


def invite(
    session: Session, admin: Claims, email: str, role: str, now: datetime
) -> tuple[Invitation, str]:
    """A new invitation and its token (in clear, this once)."""
    if email_taken(session, email):
        raise Conflict("A user with this email already exists")
    session.execute(
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
        session.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint == PENDING_INVITATION_INDEX:
            raise Conflict("Another invitation for this email is being made; retry") from exc
        raise
    return invitation, raw


def list_pending(
    session: Session, company_id: int, now: datetime, limit: int, offset: int
) -> tuple[list[Invitation], int]:
    where = (Invitation.company_id == company_id, *_pending(now))
    total = session.scalar(select(func.count()).select_from(Invitation).where(*where)) or 0
    page = (
        select(Invitation)
        .where(*where)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(page)), total


def revoke(session: Session, company_id: int, invitation_id: int, now: datetime) -> None:
    """Revoke a pending invitation of the company; anything else is not found."""
    invitation = session.scalars(
        select(Invitation)
        .where(Invitation.id == invitation_id, Invitation.company_id == company_id, *_pending(now))
        .with_for_update()
    ).first()
    if invitation is None:
        raise NotFound("Invitation not found")
    invitation.revoked_at = now
    session.flush()


def accept(
    session: Session,
    companies: CompanyDirectory,
    passwords: PasswordHasher,
    data: UserCreate,
    now: datetime,
) -> User:
    """The new user the invitation names; 403 for an unusable token or company."""
    password_hash = passwords.hash(data.password)  # before any query: no connection held
    invitation = session.scalars(
        select(Invitation)
        .where(Invitation.token_hash == _digest(data.invitation_token))
        .with_for_update()
    ).first()
    if invitation is None or invitation.used_at is not None or invitation.revoked_at is not None:
        raise Forbidden("This invitation is unknown, used or revoked")
    if invitation.expires_at <= now:
        raise Forbidden("This invitation has expired")
    if not companies.is_active(invitation.company_id):
        raise Forbidden("The company of this invitation is not active")
    user = create_user(
        session,
        email=invitation.email,
        password_hash=password_hash,
        name=data.name,
        company_id=invitation.company_id,
        role=invitation.role,
    )
    invitation.used_at = now
    session.flush()
    return user
