"""Tables of the `video` schema: videos, views (one per user and video), the points outbox,
media jobs and their events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from media_common.models import schema_metadata

SCHEMA = "video"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_company_created", "company_id", "created_at", "id"),
        CheckConstraint("status IN ('processing', 'ready', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    company_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The media pipeline: processing -> ready | failed; media fields null until probed.
    status: Mapped[str] = mapped_column(String(12), server_default="processing")
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    video_codec: Mapped[str | None] = mapped_column(String(32))
    audio_codec: Mapped[str | None] = mapped_column(String(32))
    # Where the current outputs live (each attempt writes under its own prefix).
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))
    hls_prefix: Mapped[str | None] = mapped_column(String(512))


class View(Base):
    """A user's first stream of a video; the unique pair is what makes points exactly once."""

    __tablename__ = "views"
    __table_args__ = (UniqueConstraint("user_id", "video_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    video_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("videos.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OutboxEntry(Base):
    """A point credit waiting for (or done with) delivery to user-service."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'dead')", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(
            "ix_outbox_pending_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(50))
    reference: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The X-Request-ID of the request that recorded the view, passed on at delivery.
    request_id: Mapped[str | None] = mapped_column(String(128))


JOB_TYPES = ("probe", "thumbnail", "hls")
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "canceled")
ACTIVE_JOB_STATUSES = ("queued", "running")
# At most one job per (video, type) in these statuses (the partial unique index).
ONE_ACTIVE_PREDICATE = text("status IN ('queued', 'running')")


class MediaJob(Base):
    """One probe, thumbnail or HLS job of a video: the truth the API and SSE read.

    The queue (procrastinate, same schema) only carries `id` to a worker; status,
    progress, attempts and heartbeat live here. The partial unique index allows at most
    one queued-or-running job per (video, type).
    """

    __tablename__ = "media_jobs"
    __table_args__ = (
        CheckConstraint("type IN ('probe', 'thumbnail', 'hls')", name="type_known"),
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')",
            name="status_known",
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
        Index(
            "uq_media_jobs_one_active",
            "video_id",
            "type",
            unique=True,
            postgresql_where=ONE_ACTIVE_PREDICATE,
        ),
        Index("ix_media_jobs_video_created", "video_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    video_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("videos.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), server_default="queued")
    progress: Mapped[int] = mapped_column(Integer, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    queue_job_id: Mapped[int | None] = mapped_column(BigInteger)
    # The running attempt's output prefix tag; outputs of other attempts are garbage.
    attempt_tag: Mapped[str | None] = mapped_column(String(40))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MediaEvent(Base):
    """A change of a job or a video, in commit order per video: what SSE replays.

    The id is the SSE event id; `Last-Event-ID` resumes after it. Old rows are pruned.
    """

    __tablename__ = "media_events"
    __table_args__ = (
        CheckConstraint("kind IN ('job', 'video')", name="kind_known"),
        Index("ix_media_events_video_id", "video_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    video_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("videos.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# The webhook tables live in their own module; importing it here puts them in Base.metadata
# for everything that reads the schema from this module (Alembic, the ERD).
from video_service import webhook_models  # noqa: E402, F401
