"""Pending companies (founding with the first admin) and names unique under NFKC casefold.

Revision ID: 7d2e4b9a1c55
Revises: 5c1f0a7e2b3d
Create Date: 2026-12-02 14:30:00+00:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2e4b9a1c55"
down_revision: str | None = "5c1f0a7e2b3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "company"


def _key(name: str) -> str:
    # media_common.text.unique_key, frozen here: a migration must not change with the app.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def upgrade() -> None:
    op.add_column("companies", sa.Column("name_key", sa.String(400)), schema=SCHEMA)
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, name FROM {SCHEMA}.companies")).all()
    for row in rows:
        conn.execute(
            sa.text(f"UPDATE {SCHEMA}.companies SET name_key = :key WHERE id = :id"),
            {"key": _key(row.name), "id": row.id},
        )
    op.alter_column("companies", "name_key", nullable=False, schema=SCHEMA)
    op.drop_index("uq_companies_name_lower", table_name="companies", schema=SCHEMA)
    op.create_index(
        "uq_companies_name_key",
        "companies",
        ["name_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('active', 'pending')"),
    )
    op.create_index(
        "ix_companies_pending_created",
        "companies",
        ["created_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('pending', 'abandoned')"),
    )
    _drop_status_check()
    op.create_check_constraint(
        op.f("ck_companies_status"),
        "companies",
        "status IN ('pending', 'active', 'inactive', 'abandoned')",
        schema=SCHEMA,
    )


def _drop_status_check() -> None:
    # The first migration's name went through the naming convention once more.
    for name in ("ck_companies_status", "ck_companies_ck_companies_status"):
        op.execute(f"ALTER TABLE {SCHEMA}.companies DROP CONSTRAINT IF EXISTS {name}")


def downgrade() -> None:
    op.execute(f"DELETE FROM {SCHEMA}.companies WHERE status IN ('pending', 'abandoned')")
    _drop_status_check()
    op.create_check_constraint(
        op.f("ck_companies_status"), "companies", "status IN ('active', 'inactive')", schema=SCHEMA
    )
    op.drop_index("ix_companies_pending_created", table_name="companies", schema=SCHEMA)
    op.drop_index("uq_companies_name_key", table_name="companies", schema=SCHEMA)
    op.create_index(
        "uq_companies_name_lower",
        "companies",
        [sa.text("lower(name)")],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_column("companies", "name_key", schema=SCHEMA)
