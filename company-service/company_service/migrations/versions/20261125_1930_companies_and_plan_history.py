"""Companies and plan history.

Revision ID: 5c1f0a7e2b3d
Revises:
Create Date: 2026-11-25 19:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1f0a7e2b3d"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "company"


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("plan", sa.String(10), server_default="free", nullable=False),
        sa.Column("plan_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(10), server_default="active", nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_companies"),
        sa.CheckConstraint("plan IN ('free', 'paid')", name="ck_companies_plan"),
        sa.CheckConstraint("status IN ('active', 'inactive')", name="ck_companies_status"),
        sa.CheckConstraint(
            "(plan = 'paid') = (plan_expires_at IS NOT NULL)", name="ck_companies_plan_expiry"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_companies_name_lower",
        "companies",
        [sa.text("lower(name)")],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_companies_paid_expiry",
        "companies",
        ["plan_expires_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("plan = 'paid'"),
    )
    op.create_table(
        "plan_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("from_plan", sa.String(10), nullable=False),
        sa.Column("to_plan", sa.String(10), nullable=False),
        sa.Column("previous_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_plan_history"),
        sa.ForeignKeyConstraint(
            ["company_id"],
            [f"{SCHEMA}.companies.id"],
            name="fk_plan_history_company_id_companies",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_plan_history_company_created",
        "plan_history",
        ["company_id", "created_at", "id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("ix_plan_history_company_created", table_name="plan_history", schema=SCHEMA)
    op.drop_table("plan_history", schema=SCHEMA)
    op.drop_index("ix_companies_paid_expiry", table_name="companies", schema=SCHEMA)
    op.drop_index("uq_companies_name_lower", table_name="companies", schema=SCHEMA)
    op.drop_table("companies", schema=SCHEMA)
