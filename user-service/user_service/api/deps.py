"""Route dependencies: the request's session, the caller, permissions, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from media_common.auth import Claims, bearer_token, check_internal_token
from media_common.errors import Unauthorized
from media_common.paging import INT64_MAX
from user_service.accounts import find_live_user, visible_user
from user_service.models import User
from user_service.runtime import Runtime


# The light dependencies below are `async def` although the routes are sync: they do no
# I/O, and FastAPI runs a sync dependency in a worker thread, a hop per dependency that a
# hot endpoint (the point credits) feels.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    yield from runtime.db.session()


# scope="function": the commit happens before the response is sent, so a client that
# got 201 can rely on the row being there.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# Only for the OpenAPI document (Swagger's Authorize button logs in through the token
# endpoint); the header itself is read by media_common's bearer_token.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def verified_claims(
    request: Request, runtime: RuntimeDep, _: Annotated[str | None, Depends(oauth2_scheme)]
) -> Claims:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    return runtime.access_tokens.verify(token)


def current_user(
    session: SessionDep, claims: Annotated[Claims, Depends(verified_claims)], runtime: RuntimeDep
) -> Claims:
    """The verified token's claims as of now, from this service's own table: a deleted
    user, or a user of a deactivated company (the access feed, media_common.access), is
    refused (401); the role is the stored one, so a demotion takes effect at once."""
    runtime.access.check(claims.user_id, claims.company_id)
    user = find_live_user(session, claims.user_id) if 0 < claims.user_id <= INT64_MAX else None
    if user is None or user.company_id != claims.company_id:
        raise Unauthorized("This account no longer exists")
    return replace(claims, role=user.role, fresh=True)


CurrentUser = Annotated[Claims, Depends(current_user)]


def current_account(user: CurrentUser, session: SessionDep) -> User:
    """The caller's own row (current_user loaded it: the session's identity map answers)."""
    account = session.get(User, user.user_id)
    assert account is not None
    return account


CurrentAccount = Annotated[User, Depends(current_account)]


def admin_only(user: CurrentUser) -> Claims:
    user.require_admin("Only the company's admins may do this")
    return user


AdminOnly = Annotated[Claims, Depends(admin_only)]

UserIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="A user id.")]


def managed_user(user_id: UserIdPath, session: SessionDep, viewer: CurrentUser) -> User:
    return visible_user(session, viewer, user_id)


ManagedUser = Annotated[User, Depends(managed_user)]


async def service_caller(request: Request, runtime: RuntimeDep) -> None:
    check_internal_token(request, runtime.settings.internal_token.get_secret_value())


ServiceCaller = Depends(service_caller)


async def credit_admission(user_id: UserIdPath, runtime: RuntimeDep) -> AsyncIterator[None]:
    """Queue a point credit behind the same user's credits in this process."""
    async with runtime.credit_gate.admit(user_id):
        yield


CreditAdmission = Depends(credit_admission, scope="function")
