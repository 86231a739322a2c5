"""Gateway tests: real nginx, rendered from gateway/nginx.conf.template, in front of
throwaway upstream HTTP servers (no services, no database needed)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from devstack.nginx import find_nginx  # noqa: E402
from devstack.render import render_file, upstream_lines  # noqa: E402

LOCAL_KEY = "company-7/0f0e0d0c-video"  # no file extension, like server-made keys
VIDEO_BYTES = random.Random(7).randbytes(10_000)
S3_BYTES = random.Random(8).randbytes(20_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Seen:
    """What an upstream received (the tests assert on it)."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    def last(self) -> dict[str, Any]:
        return self.requests[-1]


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def service_handler(name: str, seen: Seen, s3_url: Callable[[], str]) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            return

        def _answer(self) -> None:
            body = _read_body(self)
            record = {
                "service": name,
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_len": len(body),
            }
            seen.requests.append(record)
            path = self.path.split("?")[0]
            extra: dict[str, str] = {"X-Request-ID": "upstream-own-id"}
            status, payload, ctype = 200, json.dumps(record).encode(), "application/json"
            if path == "/api/v1/videos/1/stream":
                extra["X-Accel-Redirect"] = f"/_protected/local/{LOCAL_KEY}"
                ctype, payload = "video/webm", b""
            elif path == "/api/v1/videos/2/stream":
                extra["X-Accel-Redirect"] = "/_protected/s3"
                extra["X-Storage-Url"] = s3_url()
                ctype, payload = "video/mp4", b""
            elif path == "/api/v1/videos/3/stream":
                extra["X-Accel-Redirect"] = "/_protected/local/missing-key"
                payload = b""
            elif path == "/api/v1/videos/4/stream":
                extra["X-Accel-Redirect"] = "/_protected/s3"
                extra["X-Storage-Url"] = s3_url().replace("/obj?", "/gone?")
                payload = b""
            elif path == "/api/v1/companies/own-error":
                status = 503
                payload = b'{"code":"SERVICE_UNAVAILABLE","message":"from the service"}'
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer  # noqa: N815

    return Handler


def s3_handler(seen: Seen) -> type:
    """A tiny S3 stand-in: one object at /bucket/obj, Range support, x-amz-* headers."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "MinIO"
        sys_version = ""

        def log_message(self, *_: object) -> None:
            return

        def _answer(self) -> None:
            seen.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            amz = {
                "x-amz-request-id": "REQ123",
                "x-amz-id-2": "ID2",
                "x-amz-version-id": "v1",
                "x-amz-server-side-encryption": "AES256",
                "x-amz-meta-filename": "secret-name.mp4",
                "x-amz-meta-original-name": "secret-name.mp4",
                "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                "x-amzn-RequestId": "moto-id",
                "Access-Control-Allow-Origin": "*",
                "X-Minio-Deployment-Id": "dep",
                "X-Storage-Url": "leak",
            }
            if not self.path.startswith("/bucket/obj?"):
                self._send(404, b"<Error><Code>NoSuchKey</Code></Error>", amz, "application/xml")
                return
            size = len(S3_BYTES)
            rng = self.headers.get("Range")
            headers = {**amz, "Accept-Ranges": "bytes", "ETag": '"abc"'}
            if not rng:
                self._send(200, S3_BYTES, headers)
                return
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not match:
                self._send(200, S3_BYTES, headers)
                return
            first, last = match.groups()
            if first == "":
                start, end = max(0, size - int(last)), size - 1
            else:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            if start >= size:
                self._send(416, b"", {**headers, "Content-Range": f"bytes */{size}"})
                return
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            self._send(206, S3_BYTES[start : end + 1], headers)

        def _send(
            self, status: int, body: bytes, headers: dict[str, str], ctype: str = "video/mp4"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = _answer  # noqa: N815

    return Handler


@dataclass
class Upstreams:
    ports: dict[str, int]
    seen: dict[str, Seen]
    s3_port: int
    s3_seen: Seen


@pytest.fixture(scope="session")
def upstreams() -> Iterator[Upstreams]:
    servers: list[ThreadingHTTPServer] = []
    s3_seen = Seen()
    s3 = ThreadingHTTPServer(("127.0.0.1", 0), s3_handler(s3_seen))
    servers.append(s3)
    s3_port = int(s3.server_address[1])

    def s3_url() -> str:
        return (
            f"http://127.0.0.1:{s3_port}/bucket/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Signature=deadbeef"
        )

    ports, seen = {}, {}
    for name in ("company", "user", "video"):
        seen[name] = Seen()
        server = ThreadingHTTPServer(("127.0.0.1", 0), service_handler(name, seen[name], s3_url))
        servers.append(server)
        ports[name] = int(server.server_address[1])
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Upstreams(ports, seen, s3_port, s3_seen)
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass
class Gateway:
    url: str
    internal_url: str
    conf: Path
    storage: Path
    error_log: Path


def nginx_binary() -> str:
    binary = find_nginx()
    if binary is None:
        pytest.skip("nginx is not installed (scripts/stack up installs it)")
    return str(binary)


def local_values(base: Path, ports: dict[str, int], **overrides: str) -> dict[str, str]:
    values = {
        "NGINX_USER_DIRECTIVE": "user root;" if os.geteuid() == 0 else "",
        "WORKER_PROCESSES": "1",
        "NGINX_PID": str(base / "nginx.pid"),
        "NGINX_ERROR_LOG": str(base / "error.log"),
        "NGINX_ACCESS_LOG": str(base / "access.log"),
        "NGINX_TEMP_DIR": str(base / "tmp"),
        "GATEWAY_LISTEN": f"127.0.0.1:{free_port()}",
        "INTERNAL_LISTEN": f"127.0.0.1:{free_port()}",
        "RESOLVER": "127.0.0.1",
        "MAX_UPLOAD_MB": "1",
        "UPLOAD_BODY_MAX_MB": "2",
        "AUTH_RATE_LIMIT_PER_MIN": "60",
        "AUTH_RATE_LIMIT_BURST": "5",
        "STORAGE_DIR": str(base / "storage"),
        "DOCS_HTML": str(ROOT / "gateway" / "docs.html"),
    }
    for name in ("company", "user", "video"):
        values[f"{name.upper()}_UPSTREAM_SERVERS"] = upstream_lines([f"127.0.0.1:{ports[name]}"])
        values[f"{name.upper()}_PROXY"] = f"{name}_service"
    values.update(overrides)
    return values


def wait_http(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise TimeoutError(url)


@pytest.fixture(scope="session")
def start_gateway(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[dict[str, int]], Gateway]]:
    binary = nginx_binary()
    procs: list[subprocess.Popen[bytes]] = []

    def start(ports: dict[str, int], **overrides: str) -> Gateway:
        base = tmp_path_factory.mktemp("gateway")
        (base / "tmp").mkdir()
        storage = base / "storage"
        (storage / LOCAL_KEY).parent.mkdir(parents=True)
        (storage / LOCAL_KEY).write_bytes(VIDEO_BYTES)
        values = local_values(base, ports, **overrides)
        conf = base / "nginx.conf"
        conf.write_text(render_file(values))
        cmd = [binary, "-p", str(base), "-e", str(base / "error.log"), "-c", str(conf)]
        check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        procs.append(
            subprocess.Popen(
                [*cmd, "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        gateway = Gateway(
            url=f"http://{values['GATEWAY_LISTEN']}",
            internal_url=f"http://{values['INTERNAL_LISTEN']}",
            conf=conf,
            storage=storage,
            error_log=base / "error.log",
        )
        wait_http(f"{gateway.url}/healthz")
        return gateway

    yield start
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def gateway(start_gateway: Callable[[dict[str, int]], Gateway], upstreams: Upstreams) -> Gateway:
    return start_gateway(upstreams.ports)


@pytest.fixture(scope="session")
def dead_gateway(start_gateway: Callable[[dict[str, int]], Gateway]) -> Gateway:
    """A gateway whose upstreams all refuse connections."""
    return start_gateway({name: free_port() for name in ("company", "user", "video")})


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    yield session
    session.close()


def envsubst_available() -> bool:
    return shutil.which("envsubst") is not None
