"""/api/v1/invitations: admins invite people into their company."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from media_common.errors import error_responses
from media_common.models import utcnow
from media_common.paging import INT64_MAX, PageQuery
from user_service import invitations
from user_service.api.deps import AdminOnly, ReadSessionDep, SessionDep
from user_service.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationPage,
    InvitationRead,
)

router = APIRouter(prefix="/api/v1/invitations", tags=["invitations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationCreated,
    responses=error_responses(401, 403, 409, 422, 503),
)
async def create_invitation(
    data: InvitationCreate, session: SessionDep, admin: AdminOnly, response: Response
) -> InvitationCreated:
    """Invite an email into your company as `member` (default) or `admin` (admins).

    The `token` is shown only here and works once, for 7 days, for this email and role
    (`POST /api/v1/users`). A new invitation for the same email replaces the pending one;
    an email that already has an account is 409.
    """
    invitation, token = await invitations.invite(session, admin, data.email, data.role, utcnow())
    response.headers["Cache-Control"] = "no-store"
    return InvitationCreated(**InvitationRead.of(invitation).model_dump(), token=token)


@router.get("", response_model=InvitationPage, responses=error_responses(401, 403, 422, 503))
async def list_invitations(
    session: ReadSessionDep, admin: AdminOnly, page: PageQuery
) -> InvitationPage:
    """Your company's pending invitations, newest first, without tokens (admins)."""
    items, total = await invitations.list_pending(session, admin.company_id, utcnow(), page)
    return InvitationPage(
        items=[InvitationRead.of(i) for i in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.delete(
    "/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def revoke_invitation(
    invitation_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
    session: SessionDep,
    admin: AdminOnly,
) -> Response:
    """Revoke a pending invitation: its token stops working (admins)."""
    await invitations.revoke(session, admin.company_id, invitation_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
