"""webhooks: endpoints, events (the outbox), deliveries

Revision ID: 20261202_1500
Revises: 20261202_1430
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261202_1500"
down_revision = "20261202_1430"
branch_labels = None
depends_on = None

SCHEMA = "video"


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("company_id", sa.BigInteger, nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        sa.UniqueConstraint("company_id", "url", name="uq_webhook_endpoints_company_id"),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_video_webhook_endpoints_company_id"),
        "webhook_endpoints",
        ["company_id"],
        schema=SCHEMA,
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("company_id", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("data", postgresql.JSONB, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_video_webhook_events_company_id"), "webhook_events", ["company_id"], schema=SCHEMA
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("endpoint_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer, server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("lease_token", sa.Uuid, nullable=True),
        sa.Column("last_status_code", sa.SmallInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        _created_at(),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{SCHEMA}.webhook_events.id"],
            name="fk_webhook_deliveries_event_id_webhook_events",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            [f"{SCHEMA}.webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id_webhook_endpoints",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')",
            name="ck_webhook_deliveries_status_known",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_webhook_deliveries_pending_due",
        "webhook_deliveries",
        ["next_attempt_at", "endpoint_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_created",
        "webhook_deliveries",
        ["endpoint_id", "created_at", "id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries", schema=SCHEMA)
    op.drop_table("webhook_events", schema=SCHEMA)
    op.drop_table("webhook_endpoints", schema=SCHEMA)
