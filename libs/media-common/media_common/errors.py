"""The one error shape of the platform and the exceptions that produce it.

Business code raises an `AppError` subclass; `install_error_handlers` turns it, and every
framework error, into `{"code", "message", "details", "request_id"}`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from media_common.request_id import current_request_id

logger = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error a service raises on purpose."""

    status_code: int = 400
    code: str = "BAD_REQUEST"
    message: str = "Bad request"
    # True: the request's transaction is committed although it answers this error (what
    # the error records must outlive the answer, as a revoked login does); else rolled back
    keeps_changes: bool = False

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details
        self.headers = headers
        super().__init__(self.message)


class ValidationFailed(AppError):
    status_code, code, message = 422, "VALIDATION_ERROR", "The request is not valid"


class Unauthorized(AppError):
    status_code, code, message = 401, "UNAUTHORIZED", "Authentication required"

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(message, details=details, headers={"WWW-Authenticate": "Bearer"})


class InvalidCredentials(AppError):
    status_code, code, message = 401, "INVALID_CREDENTIALS", "Wrong email or password"


class Forbidden(AppError):
    status_code, code, message = 403, "FORBIDDEN", "You may not do this"


class PlanRequired(AppError):
    status_code, code, message = 403, "PLAN_REQUIRED", "This needs a paid plan"


class NotFound(AppError):
    status_code, code, message = 404, "NOT_FOUND", "Not found"


class Conflict(AppError):
    status_code, code, message = 409, "CONFLICT", "Conflict"


class PayloadTooLarge(AppError):
    status_code, code, message = 413, "PAYLOAD_TOO_LARGE", "The body is too large"


class UnsupportedMediaType(AppError):
    status_code, code, message = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"


class RangeNotSatisfiable(AppError):
    status_code, code, message = 416, "RANGE_NOT_SATISFIABLE", "Range not satisfiable"


class ServiceUnavailable(AppError):
    status_code, code, message = 503, "SERVICE_UNAVAILABLE", "A service we depend on is down"


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    416: "RANGE_NOT_SATISFIABLE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    500: "INTERNAL",
    502: "SERVICE_UNAVAILABLE",
    503: "SERVICE_UNAVAILABLE",
    504: "SERVICE_UNAVAILABLE",
}


class ErrorBody(BaseModel):
    """The body of every error answer, from the services and from the gateway alike."""

    code: str = Field(pattern=r"^[A-Z][A-Z_]*$", examples=["NOT_FOUND"])
    message: str = Field(examples=["Not found"])
    details: Any = Field(description="More about the error (validation errors), or null.")
    request_id: str = Field(description="Equal to the X-Request-ID response header.")

    model_config = {"title": "Error"}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "details": jsonable_encoder(details),
        "request_id": current_request_id(),
    }
    return JSONResponse(body, status_code=status_code, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # The offending input is left out: it may be huge or hold a password.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        422, "VALIDATION_ERROR", "The request is not valid", _validation_details(exc)
    )


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method the app answers at the request's path, for the `Allow` header of a 405
    (the router names only the first route whose path matched)."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.routes
        )
    ]
    return ", ".join(allowed)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = getattr(exc, "headers", None)
    if status == 405 and (allow := allowed_methods(request)):
        headers = {**(headers or {}), "Allow": allow}
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    message = exc.detail if isinstance(exc.detail, str) else phrase
    code = _HTTP_CODES.get(status, "INTERNAL" if status >= 500 else "BAD_REQUEST")
    return error_response(status, code, message, None, headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "INTERNAL", "Internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def error_doc(status: int) -> dict[str, Any]:
    """The OpenAPI response object of an error status (media_common.openapi adds the schema)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = _HTTP_CODES.get(status, "INTERNAL" if status >= 500 else "BAD_REQUEST")
    example = {"code": code, "message": phrase, "details": None, "request_id": "3f9c0e2a"}
    return {
        "description": f"{phrase} ({code})",
        "content": {"application/json": {"example": example}},
    }


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the error shape for the given statuses."""
    return {status: error_doc(status) for status in statuses}
