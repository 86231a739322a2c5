"""ORM models of the `company` schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from media_common.models import schema_metadata

SCHEMA = "company"
NAME_MAX_LENGTH = 100
# Company names are unique ignoring case (`name_key`: NFKC case folding, media_common.text)
# among active and pending companies; deactivated companies release their name. A
# violation of this index is answered 409 CONFLICT.
NAME_UNIQUE_INDEX = "uq_companies_name_key"
NAME_KEY_MAX_LENGTH = 4 * NAME_MAX_LENGTH  # case folding may lengthen a name (ß -> ss)


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("plan IN ('free', 'paid')", name="plan"),
        # pending: its founding admin not yet confirmed by user-service; abandoned: a founding
        # given up, its founder being cancelled at user-service (founding.py).
        CheckConstraint("status IN ('pending', 'active', 'inactive', 'abandoned')", name="status"),
        # A paid plan always has an expiry; a free plan never has one.
        CheckConstraint("(plan = 'paid') = (plan_expires_at IS NOT NULL)", name="plan_expiry"),
        Index(
            NAME_UNIQUE_INDEX,
            "name_key",
            unique=True,
            postgresql_where=text("status IN ('active', 'pending')"),
        ),
        # The founding sweeper's scan: pending companies by age.
        Index(
            "ix_companies_pending_created",
            "created_at",
            postgresql_where=text("status IN ('pending', 'abandoned')"),
        ),
        # The sweeper's scan: paid plans by expiry.
        Index(
            "ix_companies_paid_expiry",
            "plan_expires_at",
            postgresql_where=text("plan = 'paid'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX_LENGTH))
    plan: Mapped[str] = mapped_column(String(10), server_default="free")
    plan_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), server_default="active")
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlanChange(Base):
    """One row per change of a company's plan or expiry, by an admin or by the sweeper."""

    __tablename__ = "plan_history"
    __table_args__ = (Index("ix_plan_history_company_created", "company_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(f"{SCHEMA}.companies.id", ondelete="CASCADE")
    )
    from_plan: Mapped[str] = mapped_column(String(10))
    to_plan: Mapped[str] = mapped_column(String(10))
    previous_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The admin's user id; NULL when the sweeper made the change.
    changed_by: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
