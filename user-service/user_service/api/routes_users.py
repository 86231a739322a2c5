"""/api/v1/users: sign-up, the caller's account, and company user management."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from starlette.convertors import StringConvertor, register_url_convertor

from media_common.errors import error_responses
from media_common.models import utcnow
from media_common.paging import PageQuery
from user_service import accounts, invitations
from user_service.api.deps import (
    AdminOnly,
    CurrentAccount,
    CurrentUser,
    ManagedUser,
    RuntimeDep,
    SessionDep,
    UserIdPath,
)
from user_service.schemas import UserCreate, UserPage, UserRead, UserUpdate

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class _UserIdConvertor(StringConvertor):
    """A path segment other than `me`: `PATCH /users/me` is a method `/users/me` does not
    answer (405 with `Allow`), not a user id that fails to parse (422). The value is then
    validated as an id (422 for `abc` or `-1`)."""

    regex = "(?!me$)[^/]+"


register_url_convertor("user_id", _UserIdConvertor())
USER = "/{user_id:user_id}"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=error_responses(403, 409, 422, 503),
)
async def sign_up(data: UserCreate, session: SessionDep, runtime: RuntimeDep) -> UserRead:
    """Join a company with an invitation: the user gets the invitation's email and role.

    The invitation is used up. An unknown, used, revoked or expired token, or a company
    that is no longer active, is 403. The password needs 8 to 128 characters. The email
    already being a user's is 409; 503 when company-service cannot be asked.
    """
    user = await invitations.accept(session, runtime.companies, runtime.passwords, data, utcnow())
    return UserRead.of(user)


@router.get("/me", response_model=UserRead, responses=error_responses(401))
async def read_me(account: CurrentAccount) -> UserRead:
    """The caller's own account."""
    return UserRead.of(account)


@router.get("", response_model=UserPage, responses=error_responses(401, 403, 422))
async def list_users(admin: AdminOnly, page: PageQuery, runtime: RuntimeDep) -> UserPage:
    """The users of the caller's company, newest first (admins only)."""
    users, total = await accounts.list_company_users(runtime.db.reader, admin.company_id, page)
    return UserPage(
        items=[UserRead.of(u) for u in users], total=total, limit=page.limit, offset=page.offset
    )


@router.get(USER, response_model=UserRead, responses=error_responses(401, 403, 404, 422))
async def read_user(
    user_id: UserIdPath, viewer: CurrentUser, account: CurrentAccount, runtime: RuntimeDep
) -> UserRead:
    """A user: yourself, or (admins) anyone of your company.

    Members asking for a colleague get 403; users of other companies are 404.
    """
    if user_id == account.id:  # the caller's own row is at hand
        return UserRead.of(account)
    return UserRead.of(await accounts.visible_account(runtime.db.reader, viewer, user_id))


@router.patch(USER, response_model=UserRead, responses=error_responses(401, 403, 404, 409, 422))
async def update_user(
    user: ManagedUser,
    changes: UserUpdate,
    session: SessionDep,
    actor: CurrentUser,
    runtime: RuntimeDep,
) -> UserRead:
    """Change your `name` or `password` (with `current_password`), or (admins) a `role`.

    A wrong `current_password` is 403; a password change ends every session (refresh
    tokens) of the user. Editing someone else's name or password, or a member changing a
    role, is 403; demoting the last admin of a company is 409. `points` cannot be set (422).
    """
    return UserRead.of(await accounts.update_user(session, runtime.passwords, actor, user, changes))


@router.delete(
    USER,
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, 409),
)
async def delete_user(user: ManagedUser, actor: CurrentUser, session: SessionDep) -> Response:
    """Delete an account (yourself, or admins: anyone of your company).

    The account can no longer log in, its refresh tokens are revoked and, within seconds,
    every service refuses its access tokens. The last admin of a company cannot be
    deleted (409).
    """
    await accounts.delete_user(session, actor, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
