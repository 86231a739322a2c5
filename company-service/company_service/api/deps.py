"""Dependencies shared by the routes: sessions, caller, tenancy and role checks.

Every dependency is `async def`: a plain `def` one would hop through the thread pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from company_service.runtime import Runtime
from media_common.auth import BearerDoc, Claims, bearer_token, check_internal_token

# The database dependencies are the same in every service (media_common.dependencies).
from media_common.dependencies import ReaderDep, ReadSessionDep, SessionDep  # noqa: F401
from media_common.errors import NotFound, Unauthorized


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def current_user(request: Request, runtime: RuntimeDep, _: BearerDoc) -> Claims:
    """The verified token's claims as of now: deleted users and deactivated companies are
    401, a changed role replaces the token's (media_common.access)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Bearer token required")
    return await runtime.access.current(await runtime.verifier.verify(token))


CurrentUser = Annotated[Claims, Depends(current_user)]


async def member_company_id(
    company_id: Annotated[int, Path(description="Company id")], user: CurrentUser
) -> int:
    """The path's company id, when the caller belongs to it; any other id is not found."""
    if company_id != user.company_id:
        raise NotFound("Company not found")
    return company_id


MemberCompanyId = Annotated[int, Depends(member_company_id)]


async def admin_only(user: CurrentUser) -> Claims:
    user.require_admin("Only the company's admins may do this")
    return user


AdminOnly = Annotated[Claims, Depends(admin_only)]


async def admin_company_id(company_id: MemberCompanyId, _: AdminOnly) -> int:
    """The path's company id, when the caller is one of its admins."""
    return company_id


AdminCompanyId = Annotated[int, Depends(admin_company_id)]


async def internal_caller(request: Request, runtime: RuntimeDep) -> None:
    check_internal_token(request, runtime.settings.internal_token.get_secret_value())
