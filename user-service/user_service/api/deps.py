"""Route dependencies: the request's sessions, the caller, permissions.

Every dependency is `async def`: a plain `def` one would hop through the thread pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer

from media_common.auth import Claims, bearer_token, check_internal_token

# The database dependencies are the same in every service (media_common.dependencies).
from media_common.dependencies import ReaderDep, ReadSessionDep, SessionDep  # noqa: F401
from media_common.errors import Unauthorized
from media_common.paging import INT64_MAX
from user_service.accounts import Account, find_account, visible_user
from user_service.models import User
from user_service.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# Only for the OpenAPI document (Swagger's Authorize button logs in through the token
# endpoint); the header itself is read by media_common's bearer_token.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def verified_claims(
    request: Request, runtime: RuntimeDep, _: Annotated[str | None, Depends(oauth2_scheme)]
) -> Claims:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    return runtime.access_tokens.verify(token)


async def current_account(
    claims: Annotated[Claims, Depends(verified_claims)], runtime: RuntimeDep
) -> Account:
    """The caller's own row, as of now: a deleted user, a user moved out of the token's
    company, or a user of a deactivated company (the access feed, media_common.access)
    is refused (401).

    One statement on the reader (a connection given back at once, whatever session the
    route then uses): the row both authorizes the request and answers `GET /users/me`.
    """
    await runtime.access.check(claims.user_id, claims.company_id)
    account = await find_account(runtime.db.reader, claims.user_id, claims.company_id)
    if account is None:
        raise Unauthorized("This account no longer exists")
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


async def current_user(
    claims: Annotated[Claims, Depends(verified_claims)], account: CurrentAccount
) -> Claims:
    """The verified token's claims as of now, from this service's own table: the role is
    the stored one, so a demotion takes effect at once."""
    return replace(claims, role=account.role, fresh=True)


CurrentUser = Annotated[Claims, Depends(current_user)]


async def admin_only(user: CurrentUser) -> Claims:
    user.require_admin("Only the company's admins may do this")
    return user


AdminOnly = Annotated[Claims, Depends(admin_only)]

UserIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="A user id.")]


async def managed_user(user_id: UserIdPath, session: SessionDep, viewer: CurrentUser) -> User:
    """The path's user, loaded for a change in the request's transaction."""
    return await visible_user(session, viewer, user_id)


ManagedUser = Annotated[User, Depends(managed_user)]


async def service_caller(request: Request, runtime: RuntimeDep) -> None:
    check_internal_token(request, runtime.settings.internal_token.get_secret_value())


ServiceCaller = Depends(service_caller)


async def credit_admission(user_id: UserIdPath, runtime: RuntimeDep) -> AsyncIterator[None]:
    """Queue a point credit behind the same user's credits in this process."""
    async with runtime.credit_gate.admit(user_id):
        yield


CreditAdmission = Depends(credit_admission, scope="function")
