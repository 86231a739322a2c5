"""App factory: `uvicorn --factory company_service.main:create_app`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from company_service import service
from company_service.api import routes_companies, routes_internal
from company_service.founding import Founders
from company_service.settings import Settings, get_settings
from company_service.sweeper import FoundingSweeper, PlanSweeper
from media_common.access import AccessState, LocalCompanyFeed, UserFeed, feed_client
from media_common.app import create_service_app
from media_common.auth import TokenVerifier
from media_common.db import Database
from media_common.internal_http import InternalClient

DESCRIPTION = """Companies (tenants) and their plans.

* A company's `effective_plan` is `paid` only while `plan` is `paid` and `plan_expires_at`
  lies in the future; it is computed on every read. A background sweeper also persists
  expired paid plans back to `free` and records each change in the plan history.
* `expires_at` must carry a UTC offset (`Z` or `+hh:mm`); naive date-times are refused
  (422). Timestamps are answered in UTC.
* A company is created together with its first admin (`admin`), all or nothing: on any
  error (409 name or email taken, 422, 503 user-service down) neither exists afterwards.
* Names follow the platform's text rule: 1..100 characters after NFC normalisation and
  trimming; no control, format (zero-width, BOM), bidi, private-use or unassigned
  characters; unique ignoring case under NFKC case folding (`Ａｃｍｅ` = `ACME`).
* `DELETE` deactivates: the company then answers 404 to its users (it is gone) and its
  name is free again; the internal API still reports it, with `status: inactive`.
* Another company's id answers 404, exactly as an unknown id.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = Database(settings)
    sweeper = PlanSweeper(db, settings.plan_sweep_seconds)
    founders = Founders(
        InternalClient(
            settings.user_service_url,
            settings.internal_token.get_secret_value(),
            timeout=10.0,
            retries=1,
        )
    )
    access = AccessState.for_feeds(
        [
            UserFeed(feed_client(settings.user_service_url, settings)),
            LocalCompanyFeed(lambda: service.inactive_company_ids(db)),
        ],
        settings,
    )
    founding_sweeper = FoundingSweeper(
        db, founders, settings.founding_sweep_seconds, settings.founding_grace_seconds
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(access.start)
        sweeper.start()
        founding_sweeper.start()
        try:
            yield
        finally:
            await asyncio.to_thread(sweeper.stop)
            await asyncio.to_thread(founding_sweeper.stop)
            await asyncio.to_thread(access.close)
            founders.close()
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
        settings.jwks_url,
        settings.jwt_issuer,
        settings.jwt_audience,
        public_keys_file=settings.jwt_public_keys_file,
    )
    app.state.access = access
    app.state.sweeper = sweeper
    app.state.founders = founders
    app.state.founding_sweeper = founding_sweeper
    app.include_router(routes_companies.router)
    app.include_router(routes_internal.router)
    return app
