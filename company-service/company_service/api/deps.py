"""Dependencies shared by the routes: session, caller, tenancy and role checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from company_service.settings import Settings
from media_common.access import AccessState
from media_common.auth import (
    BearerDoc,
    Claims,
    TokenVerifier,
    bearer_token,
    check_internal_token,
)
from media_common.db import Database
from media_common.errors import NotFound, Unauthorized


def get_session(request: Request) -> Iterator[Session]:
    db: Database = request.app.state.db
    yield from db.session()


# scope="function": the commit runs before the response is sent, so a client that got
# its 2xx can rely on the change being durable.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_user(request: Request, _: BearerDoc) -> Claims:
    """The verified token's claims as of now: deleted users and deactivated companies are
    401, a changed role replaces the token's (media_common.access)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Bearer token required")
    verifier: TokenVerifier = request.app.state.verifier
    access: AccessState = request.app.state.access
    return access.current(verifier.verify(token))


CurrentUser = Annotated[Claims, Depends(current_user)]


def member_company_id(
    company_id: Annotated[int, Path(description="Company id")], user: CurrentUser
) -> int:
    """The path's company id, when the caller belongs to it; any other id is not found."""
    if company_id != user.company_id:
        raise NotFound("Company not found")
    return company_id


MemberCompanyId = Annotated[int, Depends(member_company_id)]


def admin_company_id(company_id: MemberCompanyId, user: CurrentUser) -> int:
    """The path's company id, when the caller is one of its admins."""
    user.require_admin("Only the company's admins may do this")
    return company_id


AdminCompanyId = Annotated[int, Depends(admin_company_id)]


def internal_caller(request: Request) -> None:
    settings: Settings = request.app.state.settings
    check_internal_token(request, settings.internal_token.get_secret_value())
