"""initial schema: videos, views, outbox

Revision ID: 20261125_1930
Revises:
Create Date: 2026-11-25 19:30:00
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "20261125_1930"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "video"


def _created_at(name: str = "created_at") -> sa.Column[datetime]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=False),
        _created_at(),
        _created_at("updated_at"),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_videos_storage_key")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_videos_company_created",
        "videos",
        ["company_id", "created_at", "id"],
        schema=SCHEMA,
    )
    op.create_table(
        "views",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["video_id"],
            [f"{SCHEMA}.videos.id"],
            name=op.f("fk_views_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_views")),
        sa.UniqueConstraint("user_id", "video_id", name=op.f("uq_views_user_id")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_video_views_video_id"), "views", ["video_id"], schema=SCHEMA)
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _created_at("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _created_at(),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'dead')", name=op.f("ck_outbox_status_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_outbox_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_outbox_pending_due",
        "outbox",
        ["next_attempt_at", "id"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_due", table_name="outbox", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)
    op.drop_index(op.f("ix_video_views_video_id"), table_name="views", schema=SCHEMA)
    op.drop_table("views", schema=SCHEMA)
    op.drop_index("ix_videos_company_created", table_name="videos", schema=SCHEMA)
    op.drop_table("videos", schema=SCHEMA)
