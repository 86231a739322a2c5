"""Request and response bodies. Inputs are strict: unknown fields and odd text are refused."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal, TypeAlias

from fastapi import UploadFile
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    model_validator,
)

from media_common.db import Row
from media_common.paging import Page
from media_common.text import TextRule, is_refused, text_rule
from media_common.timestamps import UtcTimestamp
from video_service.models import MediaJob

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
FILENAME_MAX = 255


def safe_filename(name: str | None) -> str | None:
    """The client's file name reduced to something safe to keep and show (never a path)."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if not is_refused(c))
    kept = unicodedata.normalize("NFC", kept).strip().lstrip(".")
    return kept[:FILENAME_MAX] or None


# Raw lengths are bounded before the checks run, so a huge string costs nothing.
Title = Annotated[StrictStr, Field(max_length=TITLE_MAX * 4), text_rule(TITLE_MAX)]
# Multi-line, may be blank (stored as null). The length is left out of the pattern (a
# counted repetition of 5000 is more than regex engines accept), so the raw cap is the
# limit itself: the schema's maxLength then states it exactly (spaces around count).
DescriptionText = Annotated[
    StrictStr,
    Field(max_length=DESCRIPTION_MAX),
    TextRule(DESCRIPTION_MAX, multiline=True, required=False, in_pattern=False),
]
Description = Annotated[DescriptionText | None, AfterValidator(lambda value: value or None)]
UtcDatetime: TypeAlias = UtcTimestamp


class VideoUploadForm(BaseModel):
    """multipart/form-data of an upload."""

    model_config = ConfigDict(extra="forbid")

    file: UploadFile
    title: Title
    description: Description = None


class VideoUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = Field(default=None, description="1..200 characters; not null")
    description: Description = Field(default=None, description="up to 5000; null clears it")

    @model_validator(mode="after")
    def _title_not_null(self) -> VideoUpdate:
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title may be changed but not removed")
        return self


class VideoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    company_id: int
    content_type: str
    size_bytes: int
    original_filename: str | None
    status: Literal["processing", "ready", "failed"] = Field(
        description="processing until every media job succeeded (ready) or one failed for good"
    )
    duration_ms: int | None = Field(description="null until the probe has run")
    width: int | None = Field(description="pixels; null until the probe has run")
    height: int | None = Field(description="pixels; null until the probe has run")
    video_codec: str | None = Field(description="e.g. h264; null until the probe has run")
    audio_codec: str | None = Field(description="e.g. aac; null without audio or probe")
    created_at: UtcDatetime
    updated_at: UtcDatetime
    deleted_at: UtcDatetime | None


class VideoPage(Page[VideoRead]):
    pass


class PlaybackRead(BaseModel):
    url: str = Field(description="Stream URL carrying a short-lived signed token")
    expires_at: UtcDatetime
    hls_url: str | None = Field(
        default=None, description="HLS master playlist URL with the token; null until it exists"
    )
    thumbnail_url: str | None = Field(
        default=None, description="Poster URL with the token; null until it exists"
    )


class JobError(BaseModel):
    code: str = Field(description="UNDECODABLE, TRANSCODE_FAILED, WORKER_LOST, CANCELED, ...")
    message: str


class JobRead(BaseModel):
    id: int
    video_id: int
    type: Literal["probe", "thumbnail", "hls"]
    status: Literal["queued", "running", "succeeded", "failed", "canceled"]
    progress: int = Field(ge=0, le=100, description="percent; 100 once succeeded")
    attempts: int = Field(ge=0, description="times a worker has started it")
    error: JobError | None
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None

    @classmethod
    def of(cls, job: MediaJob | Row) -> JobRead:
        """From the ORM entity or a row of the reader (`jobs.SHOWN`)."""
        error = None
        if job.error_code is not None:
            error = JobError(code=job.error_code, message=job.error_message or "")
        return cls(
            id=job.id,
            video_id=job.video_id,
            type=job.type,  # type: ignore[arg-type]
            status=job.status,  # type: ignore[arg-type]
            progress=job.progress,
            attempts=job.attempts,
            error=error,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class JobPage(Page[JobRead]):
    pass
