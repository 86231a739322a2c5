"""Users, company founders, refresh tokens and the point ledger.

Revision ID: 20261125_1945
Revises:
Create Date: 2026-11-25 19:45:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_1945"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def _timestamp(name: str, *, nullable: bool = False, default: bool = False) -> sa.Column[datetime]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("points", sa.BigInteger(), server_default="0", nullable=False),
        _timestamp("created_at", default=True),
        _timestamp("updated_at", default=True),
        _timestamp("deleted_at", nullable=True),
        sa.CheckConstraint("role IN ('admin', 'member')", name=op.f("ck_users_role")),
        sa.CheckConstraint("points >= 0", name=op.f("ck_users_points_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_users_company_created",
        "users",
        ["company_id", "created_at", "id"],
        schema=SCHEMA,
    )
    op.create_index(
        "uq_users_email_live",
        "users",
        ["email"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "company_founders",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        _timestamp("created_at", default=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            [f"{SCHEMA}.users.id"],
            name=op.f("fk_company_founders_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_founders")),
        schema=SCHEMA,
    )
    op.create_table(
        "point_ledger",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=200), server_default="", nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        _timestamp("created_at", default=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_point_ledger_amount_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.users.id"], name=op.f("fk_point_ledger_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_ledger")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_point_ledger_idempotency_key")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_point_ledger_user_created",
        "point_ledger",
        ["user_id", "created_at", "id"],
        schema=SCHEMA,
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        _timestamp("created_at", default=True),
        _timestamp("expires_at"),
        _timestamp("used_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.users.id"], name=op.f("fk_refresh_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
        schema=SCHEMA,
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"], schema=SCHEMA)
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("refresh_tokens", schema=SCHEMA)
    op.drop_table("point_ledger", schema=SCHEMA)
    op.drop_table("company_founders", schema=SCHEMA)
    op.drop_table("users", schema=SCHEMA)
