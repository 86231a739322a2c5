"""Invitations, cancellable foundings and the access-change time of users.

Revision ID: 20261202_1440
Revises: 20261125_1945
Create Date: 2026-12-02 14:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_1440"
down_revision: str | None = "20261125_1945"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("access_changed_at", sa.DateTime(timezone=True)), schema=SCHEMA
    )
    op.create_index(
        "ix_users_access_changed",
        "users",
        ["access_changed_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("access_changed_at IS NOT NULL"),
    )
    op.alter_column("company_founders", "user_id", nullable=True, schema=SCHEMA)
    op.add_column(
        "company_founders",
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("invited_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'member')", name=op.f("ck_invitations_role")),
        sa.ForeignKeyConstraint(
            ["invited_by"], [f"{SCHEMA}.users.id"], name=op.f("fk_invitations_invited_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_invitations_pending",
        "invitations",
        ["company_id", "email"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("used_at IS NULL AND revoked_at IS NULL"),
    )
    op.create_index(
        "ix_invitations_company_created",
        "invitations",
        ["company_id", "created_at", "id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("invitations", schema=SCHEMA)
    op.drop_column("company_founders", "cancelled_at", schema=SCHEMA)
    op.execute(f"DELETE FROM {SCHEMA}.company_founders WHERE user_id IS NULL")
    op.alter_column("company_founders", "user_id", nullable=False, schema=SCHEMA)
    op.drop_index("ix_users_access_changed", table_name="users", schema=SCHEMA)
    op.drop_column("users", "access_changed_at", schema=SCHEMA)
