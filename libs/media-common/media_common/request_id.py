"""Request ids: taken from `X-Request-ID` when sane, generated otherwise, echoed back
(observability.RequestMiddleware).

The id lives in a context variable so logs, error bodies and outgoing internal calls can
read it without passing it around.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
HEADER_BYTES = b"x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def sane_request_id(value: str | None) -> str:
    if value and _SANE.match(value):
        return value
    return uuid.uuid4().hex
