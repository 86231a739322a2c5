"""Users: sign-up, who may see whom, profile and role changes, deletion."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from media_common.errors import Conflict, Forbidden, NotFound
from media_common.models import utcnow
from user_service.companies import CompanyDirectory
from user_service.models import EMAIL_UNIQUE_INDEX, CompanyFounder, User
from user_service.passwords import PasswordHasher
from user_service.refresh_tokens import revoke_user_tokens
from user_service.schemas import UserCreate, UserUpdate

ADMIN, MEMBER = "admin", "member"


def sign_up(
    session: Session, companies: CompanyDirectory, passwords: PasswordHasher, data: UserCreate
) -> User:
    """Create a user of an active company; its first user becomes its admin."""
    companies.require_active(data.company_id)
    # Hashed before the first query: no database connection is held during bcrypt's work.
    password_hash = passwords.hash(data.password)
    if _email_taken(session, data.email):
        raise Conflict("A user with this email already exists")
    user = User(
        email=data.email,
        password_hash=password_hash,
        name=data.name,
        company_id=data.company_id,
        role=MEMBER,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        # Two sign-ups with one email raced past the check above; the index decides.
        if _violated_constraint(exc) == EMAIL_UNIQUE_INDEX:
            raise Conflict("A user with this email already exists") from exc
        raise
    if _claim_founder(session, user):
        user.role = ADMIN
        session.flush()
    return user


def _violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def _email_taken(session: Session, email: str) -> bool:
    query = select(User.id).where(User.email == email, User.deleted_at.is_(None))
    return session.scalars(query).first() is not None


def _claim_founder(session: Session, user: User) -> bool:
    """True for the company's first user. Concurrent sign-ups wait on the primary key
    until the first one commits (then they are members) or rolls back (then one of them
    becomes the founder), so exactly one admin comes out of any race."""
    claim = (
        insert(CompanyFounder)
        .values(company_id=user.company_id, user_id=user.id)
        .on_conflict_do_nothing(index_elements=[CompanyFounder.company_id])
        .returning(CompanyFounder.company_id)
    )
    return session.execute(claim).first() is not None


def find_live_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.deleted_at is None else None


def visible_user(session: Session, viewer: User, user_id: int) -> User:
    """A user `viewer` may see and manage: themselves, or anyone of their company when
    they are its admin. Other companies' users do not exist for them (404); colleagues
    are visible to admins only (403 for members)."""
    user = find_live_user(session, user_id)
    if user is None or user.company_id != viewer.company_id:
        raise NotFound("User not found")
    if user.id != viewer.id and viewer.role != ADMIN:
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
    session: Session, passwords: PasswordHasher, actor: User, user: User, changes: UserUpdate
) -> User:
    """Apply a PATCH: the user edits their own name and password, admins edit roles."""
    fields = changes.model_fields_set
    if fields & {"name", "password"} and actor.id != user.id:
        raise Forbidden("Only the user may change their name or password")
    if "role" in fields and actor.role != ADMIN:
        raise Forbidden("Only an admin may change roles")
    if changes.password is not None:
        current = changes.current_password or ""  # UserUpdate already requires it
        if not passwords.verify(current, user.password_hash):
            raise Forbidden("The current password is wrong")
        user.password_hash = passwords.hash(changes.password)
        # Other sessions may belong to whoever learned the old password.
        revoke_user_tokens(session, user.id)
    if changes.role is not None and changes.role != user.role:
        if changes.role == MEMBER:
            _keep_an_admin(session, user, "demote")
        user.role = changes.role
    if "name" in fields:
        user.name = changes.name
    session.flush()
    return user


def delete_user(session: Session, user: User) -> None:
    """Soft delete: the row stays (ledger, history), the account is gone for every use."""
    if user.role == ADMIN and _has_colleagues(session, user):
        _keep_an_admin(session, user, "delete")
    user.deleted_at = utcnow()
    revoke_user_tokens(session, user.id)
    session.flush()


def _has_colleagues(session: Session, user: User) -> bool:
    query = select(User.id).where(
        User.company_id == user.company_id, User.deleted_at.is_(None), User.id != user.id
    )
    return session.scalars(query.limit(1)).first() is not None


def _keep_an_admin(session: Session, admin: User, action: str) -> None:
    """Refuse to leave a company without an admin. The company's admin rows are locked so
    two admins demoting each other at once cannot both succeed."""
    query = (
        select(User.id)
        .where(User.company_id == admin.company_id, User.role == ADMIN, User.deleted_at.is_(None))
        .order_by(User.id)
        .with_for_update()
    )
    if list(session.scalars(query)) == [admin.id]:
        raise Conflict(f"Cannot {action} the last admin of a company; promote another user first")
