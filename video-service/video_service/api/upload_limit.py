"""Refuse oversized upload bodies before they are spooled to disk.

A pure ASGI middleware: a declared Content-Length over the limit is answered 413 at once;
otherwise the body bytes are counted as they arrive (chunked uploads have no length) and
the request fails with 413 as soon as the count passes the limit.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from media_common.errors import error_response

MESSAGE = "The upload is larger than the limit"


class UploadSizeLimit:
    def __init__(self, app: ASGIApp, *, path: str, max_body_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            response = error_response(413, "PAYLOAD_TOO_LARGE", MESSAGE)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException passes FastAPI's body parsing unchanged and is
                    # rendered by the common handlers as PAYLOAD_TOO_LARGE.
                    raise HTTPException(413, MESSAGE)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
