"""Register, list and remove webhook endpoints; see their deliveries (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from media_common.errors import error_responses
from media_common.paging import INT64_MAX, PageQuery
from video_service import webhooks
from video_service.api.deps import AdminOnly, ReadSessionDep, RuntimeDep, SessionDep
from video_service.webhook_schemas import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

WebhookId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Webhook id")]


async def company_webhook(webhook_id: WebhookId, admin: AdminOnly, session: ReadSessionDep) -> int:
    """The id of an endpoint of the admin's company (anything else is 404)."""
    return await webhooks.get_endpoint_id(session, admin.company_id, webhook_id)


CompanyWebhook = Annotated[int, Depends(company_webhook)]


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    responses=error_responses(401, 403, 409, 422),
)
async def create_webhook(
    body: WebhookCreate, admin: AdminOnly, session: SessionDep, runtime: RuntimeDep
) -> WebhookCreated:
    """Register a URL for the company's events; the answer holds the signing secret, once.

    The URL must be http(s) and resolve only to public addresses (422 otherwise)."""
    endpoint, secret = await webhooks.create_endpoint(
        session,
        runtime.webhook_secrets,
        company_id=admin.company_id,
        url=body.url,
        events=list(body.events),
        allow_private=runtime.settings.webhook_allow_private,
    )
    return WebhookCreated(**WebhookRead.model_validate(endpoint).model_dump(), secret=secret)


@router.get("", response_model=WebhookPage, responses=error_responses(401, 403, 422))
async def list_webhooks(admin: AdminOnly, session: ReadSessionDep, page: PageQuery) -> WebhookPage:
    """The company's webhooks, newest first (never their secrets)."""
    items, total = await webhooks.list_endpoints(session, admin.company_id, page)
    return WebhookPage(
        items=[WebhookRead.model_validate(e) for e in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.delete("/{webhook_id}", status_code=204, responses=error_responses(401, 403, 404, 422))
async def delete_webhook(webhook_id: WebhookId, admin: AdminOnly, session: SessionDep) -> Response:
    """Remove the webhook, its secret and its deliveries; nothing more is sent to it."""
    await webhooks.delete_endpoint(session, admin.company_id, webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=error_responses(401, 403, 404, 422),
)
async def list_deliveries(
    endpoint_id: CompanyWebhook, session: ReadSessionDep, page: PageQuery
) -> DeliveryPage:
    """The webhook's deliveries, newest first: status, attempts, last answer, next try."""
    rows, total = await webhooks.list_deliveries(session, endpoint_id, page)
    items = [
        DeliveryRead(
            id=d.id,
            event_id=d.event_id,
            type=d.type,
            status=d.status,
            attempts=d.attempts,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )
        for d in rows
    ]
    return DeliveryPage(items=items, total=total, limit=page.limit, offset=page.offset)
