"""The worker's small HTTP listener on its event loop: /healthz (role, database ping),
/readyz, /metrics. Probes only: one request per connection, the request line is all it
reads."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ROLE = "video-worker"
READ_TIMEOUT = 5.0
REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}


async def start_health_server(
    host: str,
    port: int,
    db_ping: Callable[[], Awaitable[bool]],
    before_metrics: Callable[[], Awaitable[None]],
) -> asyncio.Server:
    """Listen on `host:port`; `before_metrics` refreshes gauges before /metrics answers."""

    async def answer(path: str) -> tuple[int, str, bytes]:
        if path in ("/healthz", "/readyz"):
            database = await db_ping()
            body = {"status": "ok" if database else "degraded", "role": ROLE,
                    "database": "ok" if database else "unreachable"}  # fmt: skip
            code = 200 if database or path == "/healthz" else 503
            return code, "application/json", json.dumps(body).encode()
        if path == "/metrics":
            await before_metrics()
            return 200, CONTENT_TYPE_LATEST, generate_latest()
        return 404, "application/json", b'{"code":"NOT_FOUND"}'

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                request_line = await reader.readline()
            parts = request_line.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 and parts[0] == "GET" else ""
            code, content_type, body = await answer(path)
            writer.write(
                f"HTTP/1.1 {code} {REASONS.get(code, '')}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
                + body
            )
            await writer.drain()
        except (OSError, TimeoutError, ValueError):
            return  # the prober gave up waiting
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return await asyncio.start_server(handle, host, port)
