"""InternalClient.fetch fails closed: only a 200 JSON object or a 404 is an answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from media_common.errors import ServiceUnavailable
from media_common.internal_http import InternalClient

ANSWERS = {
    "/ok": (200, b'{"status": "active"}'),
    "/missing": (404, b'{"code": "NOT_FOUND"}'),
    "/broken": (500, b"oops"),
    "/html": (200, b"<html></html>"),
    "/list": (200, b"[1, 2]"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ANSWERS[self.path]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture(scope="module")
def peer() -> Iterator[InternalClient]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = InternalClient(f"http://127.0.0.1:{server.server_address[1]}", "t", retries=0)
    yield client
    client.close()
    server.shutdown()


def test_fetch_answers_the_object_or_none(peer: InternalClient) -> None:
    assert peer.fetch("/ok", "peer") == {"status": "active"}
    assert peer.fetch("/missing", "peer") is None


@pytest.mark.parametrize("path", ["/broken", "/html", "/list"])
def test_fetch_fails_closed_on_anything_else(peer: InternalClient, path: str) -> None:
    with pytest.raises(ServiceUnavailable):
        peer.fetch(path, "peer")


def test_fetch_fails_closed_when_unreachable() -> None:
    client = InternalClient("http://127.0.0.1:9", "t", timeout=0.5, retries=0)
    with pytest.raises(ServiceUnavailable):
        client.fetch("/ok", "peer")
