"""Gateway tests: real nginx, rendered from gateway/nginx.conf.template, in front of
throwaway upstream HTTP servers (no services, no database needed)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from devstack.nginx import find_nginx  # noqa: E402
from devstack.render import render_file, upstream_lines  # noqa: E402
from tests.gateway.stubs import (  # noqa: E402
    LOCAL_KEY,
    S3_BYTES,
    VIDEO_BYTES,
    Seen,
    s3_handler,
    service_handler,
)

__all__ = ["LOCAL_KEY", "S3_BYTES", "VIDEO_BYTES"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    access_log: Path


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
        "RATE_LIMIT_RETRY_AFTER": "1",
        "STORAGE_DIR": str(base / "storage"),
        "DOCS_HTML": str(ROOT / "gateway" / "docs.html"),
        "CONSOLE_DIR": str(ROOT / "gateway" / "console"),
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
            access_log=base / "access.log",
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
