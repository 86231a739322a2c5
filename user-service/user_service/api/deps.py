"""Route dependencies: the request's session, the caller, permissions, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from media_common.auth import Claims, bearer_token, check_internal_token
from media_common.errors import Forbidden, Unauthorized
from user_service.accounts import ADMIN, find_live_user, visible_user
from user_service.context import AppContext
from user_service.fields import INT64_MAX
from user_service.models import User


# The light dependencies below are `async def` although the routes are sync: they do no
# I/O, and FastAPI runs a sync dependency in a worker thread, a hop per dependency that a
# hot endpoint (the point credits) feels.
async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(get_context)]


def get_session(context: Context) -> Iterator[Session]:
    yield from context.db.session()


# scope="function": the commit happens before the response is sent, so a client that
# got 201 can rely on the row being there.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# Only for the OpenAPI document (Swagger's Authorize button logs in through the token
# endpoint); the header itself is read by media_common's bearer_token.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def current_claims(
    request: Request, context: Context, _: Annotated[str | None, Depends(oauth2_scheme)]
) -> Claims:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    return context.access_tokens.verify(token)


CurrentClaims = Annotated[Claims, Depends(current_claims)]


def current_user(session: SessionDep, claims: CurrentClaims, context: Context) -> User:
    """The caller's live account: a valid token of a deleted user, or of a user of a
    deactivated company (the access feed, media_common.access), is refused (401)."""
    context.access.check(claims.user_id, claims.company_id)
    user = find_live_user(session, claims.user_id) if 0 < claims.user_id <= INT64_MAX else None
    if user is None or user.company_id != claims.company_id:
        raise Unauthorized("This account no longer exists")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_only(user: CurrentUser) -> User:
    # The role is read from the database, so a demotion takes effect at once.
    if user.role != ADMIN:
        raise Forbidden("Only an admin of the company may do this")
    return user


AdminOnly = Annotated[User, Depends(admin_only)]

UserIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="A user id.")]


def managed_user(user_id: UserIdPath, session: SessionDep, viewer: CurrentUser) -> User:
    return visible_user(session, viewer, user_id)


ManagedUser = Annotated[User, Depends(managed_user)]


async def service_caller(request: Request, context: Context) -> None:
    check_internal_token(request, context.settings.internal_token.get_secret_value())


ServiceCaller = Depends(service_caller)


async def credit_admission(user_id: UserIdPath, context: Context) -> AsyncIterator[None]:
    """Queue a point credit behind the same user's credits in this process."""
    async with context.credit_gate.admit(user_id):
        yield


CreditAdmission = Depends(credit_admission, scope="function")


@dataclass(frozen=True)
class PageParams:
    limit: Annotated[int, Query(ge=1, le=100)] = 20
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0


Page = Annotated[PageParams, Depends()]
