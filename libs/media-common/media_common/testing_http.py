"""Real HTTP servers on 127.0.0.1 for tests: `LoopbackServer` (the plumbing every fake
peer shares) and `RecordingReceiver`, for tests of outgoing calls (webhooks).

It listens on 127.0.0.1, records every POST (headers, raw body, time), and answers from a
script of statuses, then `default_status`. It can sleep per request (a slow receiver),
hold requests until released (to kill the caller mid-request), or redirect. Tests
synchronise on `wait_for`, never on sleeps. `documented_python` runs a code block of the
docs (the webhook receiver example). Never imported by app code.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.monotonic()


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) that hands every request of the
    given methods to `handle`; the fakes of peer services and the receiver build on it."""

    def __init__(
        self,
        handle: Callable[[BaseHTTPRequestHandler], None],
        methods: tuple[str, ...],
        *,
        protocol_version: str = "HTTP/1.0",
    ) -> None:
        def dispatch(request: BaseHTTPRequestHandler) -> None:
            handle(request)

        def quiet(_request: BaseHTTPRequestHandler, *_: object) -> None:
            return

        attributes: dict[str, Any] = {f"do_{method}": dispatch for method in methods}
        attributes.update(log_message=quiet, protocol_version=protocol_version)
        handler = type("Handler", (BaseHTTPRequestHandler,), attributes)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def answer_json(request: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    """Answer `status` with `body` as JSON (None: an empty body)."""
    raw = b"" if body is None else json.dumps(body).encode()
    request.send_response(status)
    if body is not None:
        request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(raw)))
    request.end_headers()
    request.wfile.write(raw)


class RecordingReceiver:
    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        self.delay_seconds = delay_seconds
        self.script: deque[int] = deque()
        self.default_status = 200
        self.redirect_to: str | None = None
        self.requests: list[ReceivedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._changed = threading.Condition()
        self._released = threading.Event()
        self._released.set()
        self._http = LoopbackServer(self._handle, ("POST",), protocol_version="HTTP/1.1")
        self.url = self._http.url

    def hold(self) -> None:
        """Requests from now on wait (after being recorded) until `release`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, condition: Callable[[list[ReceivedRequest]], bool], timeout: float) -> None:
        """Block until `condition(requests)` holds; AssertionError after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self.requests), timeout):
                raise AssertionError(f"receiver: condition not met in {timeout} s")

    def wait_for_count(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        self.wait_for(lambda found: len(found) >= count, timeout)
        return list(self.requests)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        body = request.rfile.read(length)
        with self._changed:
            self.requests.append(
                ReceivedRequest(request.path, dict(request.headers), body, time.monotonic())
            )
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            status = self.script.popleft() if self.script else self.default_status
            redirect = self.redirect_to
            self._changed.notify_all()
        try:
            self._released.wait()
            if self.delay_seconds:
                time.sleep(self.delay_seconds)
            request.send_response(302 if redirect else status)
            if redirect:
                request.send_header("Location", redirect)
            request.send_header("Content-Length", "0")
            request.end_headers()
        except OSError:
            pass  # the caller gave up or was killed meanwhile
        finally:
            with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def close(self) -> None:
        self._released.set()
        self._http.close()


def documented_python(markdown: Path, defines: str) -> dict[str, Any]:
    """Run the ```python block of `markdown` that defines `defines`, exactly as written,
    and return its names: tests use the documented example itself, so it cannot drift."""
    blocks = re.findall(r"```python\n(.*?)```", markdown.read_text(encoding="utf-8"), re.S)
    matching = [block for block in blocks if f"def {defines}(" in block]
    if len(matching) != 1:
        raise LookupError(f"{markdown}: expected one python block defining {defines}")
    names: dict[str, Any] = {"__name__": f"documented_{defines}"}
    exec(compile(matching[0], str(markdown), "exec"), names)  # noqa: S102 (our own docs)
    return names
