"""Dependencies shared by the routes: sessions, caller, tenancy and role checks.

Every dependency is `async def`: a plain `def` one would hop through the thread pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from company_service.runtime import Runtime
from media_common.auth import BearerDoc, Claims, bearer_token, check_internal_token
from media_common.db import Reader
from media_common.errors import NotFound, Unauthorized


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.session() as session:
        yield session


# scope="function": the commit runs before the response is sent, so a client that got
# its 2xx can rely on the change being durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.read_session() as session:
        yield session


# For routes that only read: every statement in autocommit (media_common.db).
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


async def get_reader(runtime: RuntimeDep) -> Reader:
    return runtime.db.reader


# The hot reads: compiled queries straight on the driver (media_common.db.Query).
ReaderDep = Annotated[Reader, Depends(get_reader)]


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
