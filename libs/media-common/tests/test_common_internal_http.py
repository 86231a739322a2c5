"""The async InternalClient: fetch fails closed, idempotent methods retry 502/503/504 and
connection errors, POST is sent once, the request id goes along."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from media_common.errors import ServiceUnavailable
from media_common.internal_http import InternalClient
from media_common.request_id import request_id_var

ANSWERS = {
    "/ok": (200, b'{"status": "active"}'),
    "/missing": (404, b'{"code": "NOT_FOUND"}'),
    "/broken": (500, b"oops"),
    "/html": (200, b"<html></html>"),
    "/list": (200, b"[1, 2]"),
}


class Peer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str, str | None]] = []
        self.busy = 0  # answer 503 this many times first

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Peer

    def _answer(self) -> None:
        self.server.seen.append((self.command, self.path, self.headers.get("X-Request-ID")))
        if self.server.busy:
            self.server.busy -= 1
            status, body = 503, b"{}"
        else:
            status, body = ANSWERS.get(self.path, (200, b"{}"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815 - http.server method names

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    server = Peer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_fetch_answers_the_object_or_none_and_fails_closed(peer: Peer) -> None:
    async def scenario() -> None:
        client = InternalClient(peer.url, "t", retries=0)
        assert await client.fetch("/ok", "peer") == {"status": "active"}
        assert await client.fetch("/missing", "peer") is None
        for path in ("/broken", "/html", "/list"):
            with pytest.raises(ServiceUnavailable):
                await client.fetch(path, "peer")
        await client.close()
        dead = InternalClient("http://127.0.0.1:9", "t", timeout=0.5, retries=0)
        with pytest.raises(ServiceUnavailable):
            await dead.fetch("/ok", "peer")
        await dead.close()

    asyncio.run(scenario())


def test_idempotent_methods_retry_and_post_does_not(peer: Peer) -> None:
    async def scenario() -> None:
        client = InternalClient(peer.url, "t", retries=2, backoff=0.01)
        peer.seen.clear()
        peer.busy = 2
        assert (await client.request("PUT", "/ok")).status_code == 200
        assert [m for m, _, _ in peer.seen] == ["PUT"] * 3
        peer.seen.clear()
        peer.busy = 1
        assert (await client.post("/ok")).status_code == 503
        assert len(peer.seen) == 1
        peer.busy = 0
        await client.close()

    asyncio.run(scenario())


def test_the_request_id_goes_along(peer: Peer) -> None:
    async def scenario() -> None:
        client = InternalClient(peer.url, "t", retries=0)
        peer.seen.clear()
        token = request_id_var.set("req-42")
        try:
            await client.get("/ok")
        finally:
            request_id_var.reset(token)
        assert peer.seen == [("GET", "/ok", "req-42")]
        await client.close()

    asyncio.run(scenario())


def test_unreachable_raises_a_transport_error_after_the_retries() -> None:
    async def scenario() -> None:
        client = InternalClient("http://127.0.0.1:9", "t", timeout=0.5, retries=1, backoff=0.01)
        with pytest.raises(httpx.TransportError):
            await client.get("/ok")
        await client.close()

    asyncio.run(scenario())
