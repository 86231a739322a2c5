"""App factory: `uvicorn --factory company_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from company_service.api import routes_companies, routes_internal
from company_service.runtime import Runtime
from company_service.settings import Settings, get_settings
from media_common.app import create_service_app
from media_common.runtime import runtime_lifespan

DESCRIPTION = """Companies (tenants) and their plans.

* A company's `effective_plan` is `paid` only while `plan` is `paid` and `plan_expires_at`
  lies in the future; it is computed on every read. A background sweeper also persists
  expired paid plans back to `free` and records each change in the plan history.
* `expires_at` must carry a UTC offset (`Z` or `+hh:mm`); naive date-times are refused
  (422). Timestamps are answered in UTC.
* A company is created together with its first admin (`admin`), all or nothing: on any
  error (409 name or email taken, 422, 503 user-service down) neither exists afterwards.
* Names follow the platform's text rule: 1..100 characters after NFC normalisation and
  trimming; no control, format (zero-width, BOM), bidi, private-use or noncharacter
  characters; unique ignoring case under NFKC case folding (`Ａｃｍｅ` = `ACME`).
* `DELETE` deactivates: the company then answers 404 to its users (it is gone) and its
  name is free again; the internal API still reports it, with `status: inactive`.
* Another company's id answers 404, exactly as an unknown id.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime.build(settings or get_settings())
    app = create_service_app(
        slug="company",
        title="company-service",
        description=DESCRIPTION,
        version="1.0.0",
        settings=runtime.settings,
        is_ready=runtime.db.ping,
        lifespan=runtime_lifespan(runtime),
    )
    app.state.runtime = runtime
    app.include_router(routes_companies.router)
    app.include_router(routes_internal.router)
    return app
