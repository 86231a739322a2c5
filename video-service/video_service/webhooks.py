"""Webhook endpoints of a company and the events they receive. No HTTP here.

`emit_video_event` is the outbox write: it runs in the transaction of the change that
causes the event (a delete, a restore, a finished or failed media job) and adds the event
with one delivery row per endpoint subscribed to its type, so the event exists exactly
when the change does. Delivery is `WebhookDeliverer`'s job.
"""

from __future__ import annotations

from sqlalchemy import any_, delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from media_common.errors import Conflict, NotFound, ValidationFailed
from media_common.paging import AnyRow, PageParams, fetch_page
from video_service.models import Video
from video_service.schemas import VideoRead
from video_service.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from video_service.webhook_secrets import SecretBox, new_signing_secret
from video_service.webhook_urls import UnsafeUrl, checked_addresses, parse_webhook_url

VIDEO_READY = "video.ready"
VIDEO_FAILED = "video.failed"
VIDEO_DELETED = "video.deleted"
VIDEO_RESTORED = "video.restored"
EVENT_TYPES = (VIDEO_READY, VIDEO_FAILED, VIDEO_DELETED, VIDEO_RESTORED)
MAX_ENDPOINTS_PER_COMPANY = 20
# Set on a session that wrote an event; the deliverer of this process wakes at its commit.
EVENTS_WRITTEN = "webhook_events_written"


async def check_receiver_url(url: str, *, allow_private: bool) -> None:
    """422 unless the URL is http(s) and every address it resolves to may be called."""
    try:
        await checked_addresses(parse_webhook_url(url), allow_private=allow_private)
    except UnsafeUrl as exc:
        details = [{"loc": ["body", "url"], "msg": str(exc), "type": "unsafe_url"}]
        raise ValidationFailed(f"url {exc}", details=details) from exc


async def create_endpoint(
    session: AsyncSession,
    box: SecretBox,
    *,
    company_id: int,
    url: str,
    events: list[str],
    allow_private: bool,
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret (the only time the secret is in clear)."""
    await check_receiver_url(url, allow_private=allow_private)
    count = await session.scalar(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.company_id == company_id)
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_COMPANY:
        raise Conflict(f"A company may register at most {MAX_ENDPOINTS_PER_COMPANY} webhooks")
    secret = new_signing_secret()
    endpoint = WebhookEndpoint(
        company_id=company_id,
        url=url,
        events=events,
        secret_ciphertext=box.seal(secret, company_id),
    )
    try:
        async with session.begin_nested():
            session.add(endpoint)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("This URL is already registered") from exc
    await session.refresh(endpoint)
    return endpoint, secret


async def list_endpoints(
    session: AsyncSession, company_id: int, page: PageParams
) -> tuple[list[AnyRow], int]:
    """A page of the company's endpoints (id, url, events, created_at), newest first."""
    query = (
        select(
            WebhookEndpoint.id,
            WebhookEndpoint.url,
            WebhookEndpoint.events,
            WebhookEndpoint.created_at,
        )
        .where(WebhookEndpoint.company_id == company_id)
        .order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())
    )
    return await fetch_page(session, query, page)


async def get_endpoint_id(session: AsyncSession, company_id: int, endpoint_id: int) -> int:
    """The company's endpoint; another company's or a missing one is NOT_FOUND alike."""
    found = await session.scalar(
        select(WebhookEndpoint.id).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.company_id == company_id
        )
    )
    if found is None:
        raise NotFound("Webhook not found")
    return found


async def delete_endpoint(session: AsyncSession, company_id: int, endpoint_id: int) -> None:
    """Remove it with its secret and its deliveries (pending ones are not sent any more)."""
    deleted = (
        await session.execute(
            delete(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.company_id == company_id)
            .returning(WebhookEndpoint.id)
        )
    ).scalar_one_or_none()
    if deleted is None:
        raise NotFound("Webhook not found")


async def list_deliveries(
    session: AsyncSession, endpoint_id: int, page: PageParams
) -> tuple[list[AnyRow], int]:
    """A page of the endpoint's deliveries with their event types, newest first."""
    query = (
        select(
            WebhookDelivery.id,
            WebhookDelivery.event_id,
            WebhookEvent.type,
            WebhookDelivery.status,
            WebhookDelivery.attempts,
            WebhookDelivery.last_status_code,
            WebhookDelivery.last_error,
            WebhookDelivery.next_attempt_at,
            WebhookDelivery.created_at,
            WebhookDelivery.delivered_at,
        )
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    return await fetch_page(session, query, page)


async def emit_video_event(
    session: AsyncSession, video: Video, event_type: str
) -> WebhookEvent | None:
    """Write `event_type` for `video` in the caller's transaction (flushes, never commits).

    Returns the event, or None when no endpoint of the company subscribes to the type.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    # FOR KEY SHARE: an endpoint being deleted right now is waited for and then skipped,
    # and none of those found can go away before this transaction ends (the deliveries'
    # foreign keys hold).
    endpoint_ids = (
        await session.scalars(
            select(WebhookEndpoint.id)
            .where(
                WebhookEndpoint.company_id == video.company_id,
                literal(event_type) == any_(WebhookEndpoint.events),
            )
            .with_for_update(read=True, key_share=True)
        )
    ).all()
    if not endpoint_ids:
        return None
    event = WebhookEvent(
        company_id=video.company_id,
        type=event_type,
        data=VideoRead.model_validate(video).model_dump(mode="json"),
    )
    session.add(event)
    await session.flush()
    session.info[EVENTS_WRITTEN] = True
    await session.execute(
        insert(WebhookDelivery),
        [{"event_id": event.id, "endpoint_id": endpoint_id} for endpoint_id in endpoint_ids],
    )
    return event
