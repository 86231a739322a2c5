"""Timestamps as the contract wants them in JSON: ISO-8601 in UTC with an explicit offset."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def utc_iso(value: datetime) -> str:
    """`2030-01-31T23:59:59.123456+00:00` (never a bare `Z`, never a local offset)."""
    return value.astimezone(UTC).isoformat()


UtcTimestamp = Annotated[
    datetime,
    PlainSerializer(utc_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
