"""Users: creation, who may see whom, profile and role changes, deletion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from media_common.auth import Claims
from media_common.errors import Conflict, Forbidden, NotFound
from media_common.models import utcnow
from user_service.models import EMAIL_UNIQUE_INDEX, User
from user_service.passwords import PasswordHasher
from user_service.refresh_tokens import revoke_user_tokens
from user_service.schemas import UserUpdate

ADMIN, MEMBER = "admin", "member"


def create_user(
    session: Session,
    *,
    email: str,
    password_hash: str,
    name: str | None,
    company_id: int,
    role: str,
) -> User:
    """A new user; 409 when the email belongs to a live user (checked, then the index)."""
    if _email_taken(session, email):
        raise Conflict("A user with this email already exists")
    user = User(
        email=email, password_hash=password_hash, name=name, company_id=company_id, role=role
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        # Two creations with one email raced past the check above; the index decides.
        if _violated_constraint(exc) == EMAIL_UNIQUE_INDEX:
            raise Conflict("A user with this email already exists") from exc
        raise
    return user


def email_taken(session: Session, email: str) -> bool:
    """True when a live user has this (normalised) email."""
    return _email_taken(session, email)


def _violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def _email_taken(session: Session, email: str) -> bool:
    query = select(User.id).where(User.email == email, User.deleted_at.is_(None))
    return session.scalars(query).first() is not None


def find_live_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.deleted_at is None else None


def visible_user(session: Session, viewer: Claims, user_id: int) -> User:
    """A user `viewer` may see and manage: themselves, or anyone of their company when
    they are its admin. Other companies' users do not exist for them (404); colleagues
    are visible to admins only (403 for members)."""
    user = find_live_user(session, user_id)
    if user is None or user.company_id != viewer.company_id:
        raise NotFound("User not found")
    if user.id != viewer.user_id and not viewer.is_admin:
        raise Forbidden("Only an admin may manage other users")
    return user


def list_company_users(
    session: Session, company_id: int, limit: int, offset: int
) -> tuple[list[User], int]:
    live = (User.company_id == company_id, User.deleted_at.is_(None))
    total = session.scalar(select(func.count()).select_from(User).where(*live)) or 0
    page = (
        select(User)
        .where(*live)
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(page)), total


def update_user(
    session: Session, passwords: PasswordHasher, actor: Claims, user: User, changes: UserUpdate
) -> User:
    """Apply a PATCH: the user edits their own name and password, admins edit roles."""
    fields = changes.model_fields_set
    if fields & {"name", "password"} and actor.user_id != user.id:
        raise Forbidden("Only the user may change their name or password")
    if "role" in fields and not actor.is_admin:
        raise Forbidden("Only an admin may change roles")
    if changes.password is not None:
        current = changes.current_password or ""  # UserUpdate already requires it
        if not passwords.verify(current, user.password_hash):
            raise Forbidden("The current password is wrong")
        user.password_hash = passwords.hash(changes.password)
        # Other sessions may belong to whoever learned the old password.
        revoke_user_tokens(session, user.id)
    if changes.role is not None:
        admins = _lock_admins(session, actor)
        if changes.role != user.role:
            if changes.role == MEMBER and admins == [user.id]:
                raise Conflict("Cannot demote the last admin of a company; promote another first")
            user.role = changes.role
            user.access_changed_at = utcnow()
    if "name" in fields:
        user.name = changes.name
    session.flush()
    return user


def delete_user(session: Session, actor: Claims, user: User) -> None:
    """Soft delete (the row stays for the ledger); a company always keeps an admin (409)."""
    if actor.user_id != user.id or user.role == ADMIN:
        admins = _lock_admins(session, actor)
        if user.role == ADMIN and admins == [user.id]:
            raise Conflict("Cannot delete the last admin of a company; promote another first")
    remove_user(session, user, utcnow())


def remove_user(session: Session, user: User, now: datetime) -> None:
    """The account is gone for every use: no login, no refresh, its tokens refused."""
    user.deleted_at = now
    user.access_changed_at = now
    revoke_user_tokens(session, user.id)
    session.flush()


def _lock_admins(session: Session, actor: Claims) -> list[int]:
    """Lock the company's admin rows (in id order, so racing admins queue instead of
    deadlocking) and re-read the actor and the rows changed meanwhile: two admins demoting
    each other at once leave one admin, and an admin demoted a moment ago acts no more.
    Returns the ids of the company's current admins."""
    query = (
        select(User.id)
        .where(User.company_id == actor.company_id, User.role == ADMIN, User.deleted_at.is_(None))
        .order_by(User.id)
        .with_for_update()
    )
    session.flush()
    admins = list(session.scalars(query))
    session.expire_all()  # the caller's rows were read before the lock
    if actor.user_id not in admins:
        raise Forbidden("Only the company's admins may do this")
    return admins
