"""Request and response bodies. Inputs are strict: unknown fields and odd text are refused."""

from __future__ import annotations

import unicodedata
from typing import Annotated, TypeAlias

from fastapi import UploadFile
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    model_validator,
)

from media_common.text import clean_text, is_refused, text_rule
from media_common.timestamps import UtcTimestamp

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
FILENAME_MAX = 255


def _description(value: str | None) -> str | None:
    if value is None:
        return None
    value = clean_text(value, multiline=True)
    if len(value) > DESCRIPTION_MAX:
        raise ValueError(f"must be at most {DESCRIPTION_MAX} characters")
    return value or None


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
Description = Annotated[
    str | None, Field(max_length=DESCRIPTION_MAX * 4), AfterValidator(_description)
]
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
    created_at: UtcDatetime
    updated_at: UtcDatetime
    deleted_at: UtcDatetime | None


class VideoPage(BaseModel):
    items: list[VideoRead]
    total: int
    limit: int
    offset: int


class PlaybackRead(BaseModel):
    url: str = Field(description="Stream URL carrying a short-lived signed token")
    expires_at: UtcDatetime
