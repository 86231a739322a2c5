"""Request and response bodies of the webhook API."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from media_common.paging import Page
from media_common.timestamps import UtcTimestamp
from video_service.webhook_models import URL_MAX
from video_service.webhook_urls import WEBHOOK_URL_PATTERN
from video_service.webhooks import EVENT_TYPES

EventType = Literal["video.ready", "video.failed", "video.deleted", "video.restored"]
assert set(get_args(EventType)) == set(EVENT_TYPES)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[
        str,
        Field(
            min_length=1,
            max_length=URL_MAX,
            # Stated, not enforced here: parse_webhook_url says why a URL is refused.
            json_schema_extra={"pattern": WEBHOOK_URL_PATTERN},
        ),
    ] = Field(
        description="http(s) URL that receives POSTs, without credentials or fragment; its"
        " host must resolve, to public addresses only unless the deployment allows private"
        " ones (else 422)"
    )
    events: list[EventType] = Field(
        default_factory=lambda: list(get_args(EventType)),
        min_length=1,
        max_length=len(EVENT_TYPES),
        description="event types to receive (default: all)",
    )

    @field_validator("events")
    @classmethod
    def _no_repeats(cls, events: list[str]) -> list[str]:
        if len(set(events)) != len(events):
            raise ValueError("each event type at most once")
        return events


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str]
    created_at: UtcTimestamp


class WebhookCreated(WebhookRead):
    secret: str = Field(description="signing secret; shown only in this answer")


class WebhookPage(Page[WebhookRead]):
    pass


class DeliveryRead(BaseModel):
    id: int
    event_id: int
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: UtcTimestamp | None = Field(description="null once delivered or failed")
    created_at: UtcTimestamp
    delivered_at: UtcTimestamp | None


class DeliveryPage(Page[DeliveryRead]):
    pass
