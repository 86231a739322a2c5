"""ORM models of the `identity` schema."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from media_common.models import schema_metadata

SCHEMA = "identity"
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 100
REASON_MAX_LENGTH = 100
REFERENCE_MAX_LENGTH = 200
IDEMPOTENCY_KEY_MAX_LENGTH = 200
# Emails are stored lower-cased and unique among users that are not deleted: a deleted
# account releases its address. The API maps a violation to 409 CONFLICT.
EMAIL_UNIQUE_INDEX = "uq_users_email_live"
PENDING_INVITATION_INDEX = "uq_invitations_pending"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'member')", name="role"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        Index(
            EMAIL_UNIQUE_INDEX, "email", unique=True, postgresql_where=text("deleted_at IS NULL")
        ),
        # The admin's list: a company's users, newest first.
        Index("ix_users_company_created", "company_id", "created_at", "id"),
        Index(
            "ix_users_access_changed",
            "access_changed_at",
            postgresql_where=text("access_changed_at IS NOT NULL"),
        ),
    )

    # The server's values (updated_at's onupdate too) come back with the INSERT or UPDATE
    # (RETURNING): an expired attribute would need a lazy load, which asyncio forbids.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - SQLAlchemy's declaration

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(NAME_MAX_LENGTH))
    # A company of company-service: referenced by id only (no cross-schema foreign key).
    company_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(10))
    # Always equal to the sum of the user's point ledger (both change in one transaction).
    points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the role last changed or the account was deleted: the access feed
    # (access_feed.py) publishes such users so the other services follow at once.
    access_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CompanyFounder(Base):
    """The founding admin of each company (founders.py). The primary key makes a founding
    happen once; a cancelled founding keeps its row, so a late creation is refused."""

    __tablename__ = "company_founders"

    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invitation(Base):
    """An admin's invitation to join their company; only the token's SHA-256 is stored."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'member')", name="role"),
        # One pending invitation per email and company: a new one replaces the old.
        Index(
            PENDING_INVITATION_INDEX,
            "company_id",
            "email",
            unique=True,
            postgresql_where=text("used_at IS NULL AND revoked_at IS NULL"),
        ),
        Index("ix_invitations_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    company_id: Mapped[int] = mapped_column(BigInteger)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey(User.id))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(Base):
    """One opaque refresh token (only its SHA-256 is stored); rotation keeps the family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id))
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PointEntry(Base):
    """One credit of the point ledger, unique on the caller's idempotency key."""

    __tablename__ = "point_ledger"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_point_ledger_user_created", "user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id))
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(REASON_MAX_LENGTH))
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX_LENGTH), server_default="")
    idempotency_key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_MAX_LENGTH), unique=True)
    # The balance right after this credit: a replay answers with the first result.
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
