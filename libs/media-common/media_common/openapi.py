"""The public OpenAPI document of a service: what the framework states, plus the statuses
that the platform adds on every route.

FastAPI documents each route's own answers. Around them, the gateway (and the common
error handlers) can answer more, always in the contract's error body:

* 400 BAD_REQUEST: a malformed request line, URI or body (JSON, UTF-8, multipart);
* 414 URI_TOO_LONG and 431 HEADERS_TOO_LARGE (gateway limits);
* 413 PAYLOAD_TOO_LARGE where a body is accepted (gateway body limit);
* 429 RATE_LIMITED with `Retry-After` on the rate-limited operations only;
* 502/503/504 SERVICE_UNAVAILABLE when the service cannot be reached or answers late.

Every 4xx/5xx answer refers to one `Error` schema. Routes under `/internal/` are left out
of the routers' schema (`include_in_schema=False`), never of the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from media_common.errors import ErrorBody, error_doc

ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Operations the gateway rate-limits per client address (gateway/nginx.conf.template).
RATE_LIMITED = frozenset(
    {
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/token"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/companies"),
        ("post", "/api/v1/users"),
    }
)
EVERY_ROUTE = (400, 414, 431, 502, 503, 504)
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _add_status(responses: dict[str, Any], status: int) -> None:
    responses.setdefault(str(status), error_doc(status))


def _statuses(method: str, path: str, operation: dict[str, Any]) -> Iterable[int]:
    yield from EVERY_ROUTE
    if "requestBody" in operation:
        yield 413
    if operation.get("parameters") or "requestBody" in operation:
        yield 422
    if (method, path) in RATE_LIMITED:
        yield 429


def _complete_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for added in _statuses(method, path, operation):
        _add_status(responses, added)
    for key, response in responses.items():
        if key[:1] not in {"4", "5"}:
            continue
        content = response.setdefault("content", {}).setdefault("application/json", {})
        content["schema"] = ERROR_REF
        if key == "429":
            response.setdefault("headers", {}).update(RETRY_AFTER)


def complete_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the platform's statuses and the one error schema (in place)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _complete_operation(method, path, operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FRAMEWORK_SCHEMAS:
        schemas.pop(name, None)
    schemas["Error"] = ErrorBody.model_json_schema()
    return document


def public_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """A replacement for `app.openapi`: FastAPI's document, completed once and cached."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = complete_openapi(document)
        return app.openapi_schema

    return openapi
