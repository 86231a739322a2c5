"""media pipeline: video status and media fields, media jobs and events, the job queue

The queue's own tables and functions come from procrastinate (pinned in requirements.txt):
its schema is applied inside the `video` schema, so the service role owns it like the rest.
Upgrading procrastinate later means a migration that applies its SQL migrations.

Revision ID: 20261202_1430
Revises: 20261125_2110
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql

revision = "20261202_1430"
down_revision = "20261125_2110"
branch_labels = None
depends_on = None

SCHEMA = "video"


def _now(name: str) -> sa.Column[datetime]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _queue_sql() -> str:
    return SchemaManager.get_schema()


def upgrade() -> None:
    for column in (
        sa.Column("status", sa.String(12), server_default="processing", nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("video_codec", sa.String(32), nullable=True),
        sa.Column("audio_codec", sa.String(32), nullable=True),
        sa.Column("thumbnail_key", sa.String(512), nullable=True),
        sa.Column("hls_prefix", sa.String(512), nullable=True),
    ):
        op.add_column("videos", column, schema=SCHEMA)
    op.create_check_constraint(
        "status_known", "videos", "status IN ('processing', 'ready', 'failed')", schema=SCHEMA
    )
    op.create_table(
        "media_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("status", sa.String(12), server_default="queued", nullable=False),
        sa.Column("progress", sa.Integer(), server_default="0", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_code", sa.String(50), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("queue_job_id", sa.BigInteger(), nullable=True),
        sa.Column("attempt_tag", sa.String(40), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("type IN ('probe', 'thumbnail', 'hls')", name="type_known"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')",
            name="status_known",
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
        sa.ForeignKeyConstraint(
            ["video_id"],
            [f"{SCHEMA}.videos.id"],
            ondelete="CASCADE",
            name=op.f("fk_media_jobs_video_id_videos"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_jobs")),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_media_jobs_one_active",
        "media_jobs",
        ["video_id", "type"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_media_jobs_video_created", "media_jobs", ["video_id", "created_at", "id"], schema=SCHEMA
    )
    op.create_table(
        "media_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("video_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        _now("created_at"),
        sa.CheckConstraint("kind IN ('job', 'video')", name="kind_known"),
        sa.ForeignKeyConstraint(
            ["video_id"],
            [f"{SCHEMA}.videos.id"],
            ondelete="CASCADE",
            name=op.f("fk_media_events_video_id_videos"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_events")),
        schema=SCHEMA,
    )
    op.create_index("ix_media_events_video_id", "media_events", ["video_id", "id"], schema=SCHEMA)
    op.execute(f"SET LOCAL search_path TO {SCHEMA}")
    # Sent as is through the driver's cursor without parameters: the SQL has `::` casts,
    # `%` signs and `$$` bodies that no parameter formatting may touch.
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(_queue_sql())
    finally:
        cursor.close()


def downgrade() -> None:
    op.execute(f"SET LOCAL search_path TO {SCHEMA}")
    sql = _queue_sql()
    for name in re.findall(r"CREATE TABLE (\w+)", sql):
        op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{name} CASCADE")
    for name in sorted(set(re.findall(r"CREATE FUNCTION (\w+)", sql))):
        op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.{name} CASCADE")
    for name in re.findall(r"CREATE TYPE (\w+)", sql):
        op.execute(f"DROP TYPE IF EXISTS {SCHEMA}.{name} CASCADE")
    op.drop_table("media_events", schema=SCHEMA)
    op.drop_table("media_jobs", schema=SCHEMA)
    op.drop_constraint("status_known", "videos", type_="check", schema=SCHEMA)
    for name in (
        "hls_prefix",
        "thumbnail_key",
        "audio_codec",
        "video_codec",
        "height",
        "width",
        "duration_ms",
        "status",
    ):
        op.drop_column("videos", name, schema=SCHEMA)
