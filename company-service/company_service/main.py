"""App factory: `uvicorn --factory company_service.main:create_app`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from company_service.api import routes_companies, routes_internal
from company_service.settings import Settings, get_settings
from company_service.sweeper import PlanSweeper
from media_common.app import create_service_app
from media_common.auth import TokenVerifier
from media_common.db import Database

DESCRIPTION = """Companies (tenants) and their plans.

* A company's `effective_plan` is `paid` only while `plan` is `paid` and `plan_expires_at`
  lies in the future; it is computed on every read. A background sweeper also persists
  expired paid plans back to `free` and records each change in the plan history.
* `expires_at` must carry a UTC offset (`Z` or `+hh:mm`); naive date-times are refused
  (422). Timestamps are answered in UTC.
* Names: 1..100 characters after Unicode NFC normalisation and trimming, no control,
  private-use or unassigned characters; unique ignoring case among active companies.
* `DELETE` deactivates: the company then answers 404 to its users (it is gone) and its
  name is free again; the internal API still reports it, with `status: inactive`.
* Another company's id answers 404, exactly as an unknown id.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = Database(settings)
    sweeper = PlanSweeper(db, settings.plan_sweep_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeper.start()
        try:
            yield
        finally:
            await asyncio.to_thread(sweeper.stop)
            db.dispose()

    app = create_service_app(
        slug="company",
        title="company-service",
        description=DESCRIPTION,
        version="1.0.0",
        settings=settings,
        is_ready=db.ping,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.verifier = TokenVerifier(
        settings.jwks_url, settings.jwt_issuer, settings.jwt_audience
    )
    app.state.sweeper = sweeper
    app.include_router(routes_companies.router)
    app.include_router(routes_internal.router)
    return app
