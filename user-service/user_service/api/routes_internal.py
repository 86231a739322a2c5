"""Service-to-service API for identity (never routed by the gateway)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from media_common.access import USER_FEED_PATH
from media_common.errors import error_responses
from media_common.models import utcnow
from media_common.paging import INT64_MAX
from user_service import founders
from user_service.access_feed import changed_users
from user_service.api.deps import ReadSessionDep, RuntimeDep, ServiceCaller, SessionDep
from user_service.schemas import FounderCreate, UserRead

# Not reachable through the gateway, so not in the public document.
router = APIRouter(tags=["internal"], dependencies=[ServiceCaller], include_in_schema=False)

CompanyIdPath = Annotated[int, Path(ge=1, le=INT64_MAX)]


@router.put(
    "/internal/v1/users/founders/{company_id}",
    response_model=UserRead,
    responses=error_responses(401, 409, 422),
)
async def put_founder(
    company_id: CompanyIdPath,
    data: FounderCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> UserRead:
    """Create the company's founding admin (company-service's founding); idempotent:
    201 when created, 200 when it exists with this email, 409 when the email is taken or
    the founding was cancelled."""
    user, created = await founders.create_founder(
        session, runtime.passwords, company_id, data, utcnow()
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return UserRead.of(user)


@router.delete(
    "/internal/v1/users/founders/{company_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 422),
)
async def cancel_founder(company_id: CompanyIdPath, session: SessionDep) -> Response:
    """Cancel the company's founding: its founder (if any) is deleted, none can follow."""
    await founders.cancel_founding(session, company_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(USER_FEED_PATH, responses=error_responses(401))
async def access_feed(session: ReadSessionDep, runtime: RuntimeDep) -> dict[str, object]:
    """Users whose role changed or who were deleted within the horizon (the access feed)."""
    users = await changed_users(session, utcnow(), runtime.settings.access_feed_horizon_seconds)
    return {"users": users}
