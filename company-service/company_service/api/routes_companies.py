"""Public company API: /api/v1/companies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from company_service import companies
from company_service.api.deps import (
    AdminCompanyId,
    CurrentUser,
    MemberCompanyId,
    ReaderDep,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
)
from company_service.founding import found_company
from company_service.plans import Plan
from company_service.schemas import (
    AdminRead,
    CompanyCreate,
    CompanyCreated,
    CompanyRead,
    CompanyUpdate,
    PaidPlanChange,
    PlanChangePage,
    PlanChangeRead,
    PlanChangeRequest,
)
from media_common.errors import error_responses
from media_common.models import utcnow
from media_common.paging import PageQuery

router = APIRouter(prefix="/api/v1/companies", tags=["companies"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CompanyCreated,
    responses=error_responses(409, 422, 503),
)
async def create_company(body: CompanyCreate, runtime: RuntimeDep) -> CompanyCreated:
    """Create a company on the free plan together with its first admin (public).

    All or nothing: a taken name or email (409), a bad email or password (422) or
    user-service being unavailable (503) leave neither the company nor the user behind.
    Names are unique ignoring case (NFKC case folding); emails across the platform.
    """
    now = utcnow()
    company, admin = await found_company(runtime.db, runtime.founders, body.name, body.admin, now)
    return CompanyCreated(**CompanyRead.of(company, now).model_dump(), admin=AdminRead(**admin))


@router.get(
    "/{company_id}", response_model=CompanyRead, responses=error_responses(401, 404, 422, 503)
)
async def read_company(company_id: MemberCompanyId, reader: ReaderDep) -> CompanyRead:
    """Your company, with its effective plan as of now (members)."""
    return CompanyRead.of(await companies.read_active_company(reader, company_id), utcnow())


@router.patch(
    "/{company_id}",
    response_model=CompanyRead,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def rename_company(
    company_id: AdminCompanyId, body: CompanyUpdate, session: SessionDep
) -> CompanyRead:
    """Rename your company (admins; names are unique ignoring case)."""
    now = utcnow()
    company = await companies.get_active_company(session, company_id, for_update=True)
    return CompanyRead.of(await companies.rename_company(session, company, body.name, now), now)


@router.put(
    "/{company_id}/plan",
    response_model=CompanyRead,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def change_plan(
    company_id: AdminCompanyId,
    body: Annotated[PlanChangeRequest, Body()],
    user: CurrentUser,
    session: SessionDep,
) -> CompanyRead:
    """Set the plan: paid until a future `expires_at` (with a UTC offset), or free (admins)."""
    now = utcnow()
    expires_at = body.expires_at if isinstance(body, PaidPlanChange) else None
    company = await companies.get_active_company(session, company_id, for_update=True)
    await companies.change_plan(
        session, company, Plan(body.plan), expires_at, changed_by=user.user_id, now=now
    )
    return CompanyRead.of(company, now)


@router.delete(
    "/{company_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def deactivate_company(company_id: AdminCompanyId, session: SessionDep) -> Response:
    """Deactivate your company: its users can no longer log in; it then reads as 404."""
    company = await companies.get_active_company(session, company_id, for_update=True)
    await companies.deactivate_company(session, company, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{company_id}/plan-history",
    response_model=PlanChangePage,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def plan_history(
    company_id: AdminCompanyId,
    session: ReadSessionDep,
    page: PageQuery,
) -> PlanChangePage:
    """Your company's plan changes, newest first (admins)."""
    await companies.get_active_company(session, company_id)
    changes, total = await companies.list_plan_history(
        session, company_id, limit=page.limit, offset=page.offset
    )
    return PlanChangePage(
        items=[PlanChangeRead.of(change) for change in changes],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
