"""Service-to-service API: /internal/v1 (never routed by the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from company_service import companies
from company_service.api.deps import ReadSessionDep, RuntimeDep, internal_caller
from company_service.schemas import InternalCompanyRead
from media_common.errors import NotFound, error_responses
from media_common.models import utcnow

router = APIRouter(
    prefix="/internal/v1/companies",
    tags=["internal"],
    dependencies=[Depends(internal_caller)],
    # Not reachable through the gateway, so not in the public document.
    include_in_schema=False,
)


@router.get("/inactive", responses=error_responses(401))
async def inactive_companies(runtime: RuntimeDep) -> dict[str, list[int]]:
    """The access feed: ids of the deactivated companies (their users' tokens are 401)."""
    return {"ids": await companies.inactive_company_ids(runtime.db)}


@router.get(
    "/{company_id}",
    response_model=InternalCompanyRead,
    responses=error_responses(401, 404, 422),
)
async def read_company_internal(company_id: int, session: ReadSessionDep) -> InternalCompanyRead:
    """A company by id, deactivated ones included (`Authorization: Bearer <INTERNAL_TOKEN>`)."""
    company = await companies.find_company(session, company_id)
    if company is None:
        raise NotFound("Company not found")
    return InternalCompanyRead.of(company, utcnow())
