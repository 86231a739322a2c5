"""The worker's small HTTP listener: /healthz (role, database ping), /readyz, /metrics."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ROLE = "video-worker"


def start_health_server(host: str, port: int, db_ping: Callable[[], bool]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path in ("/healthz", "/readyz"):
                database = db_ping()
                body = {"status": "ok" if database else "degraded", "role": ROLE,
                        "database": "ok" if database else "unreachable"}  # fmt: skip
                code = 200 if database or self.path == "/healthz" else 503
                self._send(code, "application/json", json.dumps(body).encode())
            elif self.path == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, generate_latest())
            else:
                self._send(404, "application/json", b'{"code":"NOT_FOUND"}')

        def _send(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                return  # the prober gave up waiting

        def log_message(self, format: str, *args: object) -> None:
            return  # probes every few seconds; not worth a log line

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    return server
