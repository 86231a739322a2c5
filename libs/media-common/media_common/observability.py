"""Health, readiness, Prometheus metrics, request ids and one access-log line per request.

`RequestMiddleware` is the one middleware of every service (pure ASGI: no body buffering,
so streamed uploads stay streamed): it takes the request id from `X-Request-ID` when sane
(else makes one) and echoes it, counts and times the request by route template (not raw
path, to bound cardinality) and writes the access line.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from media_common.errors import error_response
from media_common.request_id import HEADER_BYTES, request_id_var, sane_request_id

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to the response headers",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
access_log = logging.getLogger("access")
logger = logging.getLogger(__name__)
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = None
        for name, value in scope["headers"]:
            if name == HEADER_BYTES:
                incoming = value.decode("latin-1")
                break
        request_id = sane_request_id(incoming)
        raw_id = request_id.encode("latin-1")
        token = request_id_var.set(request_id)
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k != HEADER_BYTES]
                headers.append((HEADER_BYTES, raw_id))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if status:  # the response had begun: nothing sane left to send
                raise
            # Answered here rather than by the framework's outermost handler, which runs
            # after this middleware and would have lost the request id.
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await error_response(500, "INTERNAL", "Internal error")(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            REQUESTS.labels(self.service, method, template, str(status)).inc()
            LATENCY.labels(self.service, method, template).observe(elapsed)
            if template not in QUIET_ROUTES:
                access_log.info(
                    "%s %s %s",
                    method,
                    scope["path"],
                    status,
                    extra={"status": status, "duration_ms": round(elapsed * 1000, 2)},
                )
            request_id_var.reset(token)


def health_router(is_ready: Callable[[], bool | Awaitable[bool]]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        ready = is_ready()
        if inspect.isawaitable(ready):
            ready = await ready
        if ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready"}, status_code=503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
