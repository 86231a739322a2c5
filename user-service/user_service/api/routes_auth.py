"""/api/v1/auth: login, the OAuth2 token form, refresh rotation, logout, JWKS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response, status

from media_common.errors import error_responses
from user_service.api.deps import RuntimeDep, SessionDep
from user_service.fields import Email, Password
from user_service.schemas import Jwks, LoginRequest, RefreshRequest, TokenPair

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=TokenPair, responses=error_responses(401, 422, 503))
async def login(data: LoginRequest, session: SessionDep, runtime: RuntimeDep) -> TokenPair:
    """Log in with email and password: an access token and a refresh token.

    Unknown email, wrong password, deleted account and deactivated company all answer 401
    INVALID_CREDENTIALS (and take the same time); 503 when company-service cannot be asked.
    """
    return await runtime.authenticator.login(session, data.email, data.password)


@router.post("/token", response_model=TokenPair, responses=error_responses(401, 422, 503))
async def token(
    username: Annotated[Email, Form(description="The account's email.")],
    password: Annotated[Password, Form()],
    session: SessionDep,
    runtime: RuntimeDep,
) -> TokenPair:
    """OAuth2 password flow (form `username` = email, `password`), for Swagger's Authorize."""
    return await runtime.authenticator.login(session, username, password)


@router.post("/refresh", response_model=TokenPair, responses=error_responses(401, 422, 503))
async def refresh(data: RefreshRequest, session: SessionDep, runtime: RuntimeDep) -> TokenPair:
    """Trade a refresh token for a new pair; the presented token stops working.

    Presenting a refresh token that was already used (or revoked) answers 401 and revokes
    every token of its login. Expired tokens, deleted accounts and deactivated companies
    are 401 as well.
    """
    return await runtime.authenticator.refresh(session, data.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(422),
)
async def logout(data: RefreshRequest, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Log out: revoke the refresh token's whole login family (also when the token given
    was already rotated). Always 204, also for an unknown or already revoked token.

    The access tokens of the login stay valid until they expire (15 minutes by default).
    """
    await runtime.authenticator.logout(session, data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/jwks.json", response_model=Jwks, response_model_exclude_none=True)
async def jwks(runtime: RuntimeDep, response: Response) -> Jwks:
    """The public keys (JWKS) that verify access tokens; `kid` is the RFC 7638 thumbprint."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return Jwks.model_validate(runtime.access_tokens.jwks())
