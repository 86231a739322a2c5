"""The user-service app factory (`uvicorn --factory user_service.main:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from media_common.app import create_service_app
from media_common.runtime import runtime_lifespan
from user_service.api import (
    routes_auth,
    routes_internal,
    routes_invitations,
    routes_points,
    routes_users,
)
from user_service.runtime import Runtime
from user_service.settings import Settings, get_settings

DESCRIPTION = """Users, roles and authentication of media-resource.

Access tokens are RS256 JWTs (15 minutes by default) whose public keys are published at
`/api/v1/auth/jwks.json`; refresh tokens are opaque, single-use and rotated. Errors are
`{"code", "message", "details", "request_id"}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime.build(settings or get_settings())
    app = create_service_app(
        slug="user",
        title="user-service",
        description=DESCRIPTION,
        version="1.0.0",
        settings=runtime.settings,
        is_ready=runtime.db.ping,
        lifespan=runtime_lifespan(runtime),
    )
    app.state.runtime = runtime
    app.include_router(routes_users.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_points.router)
    app.include_router(routes_invitations.router)
    app.include_router(routes_internal.router)
    return app
