"""Throwaway comparison servers: a static nginx and a naive FastAPI FileResponse app."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

NGINX_CONF = """\
{user}
worker_processes auto;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    # The same file-sending settings as the gateway's /_protected/local/ location.
    sendfile on;
    tcp_nopush on;
    sendfile_max_chunk 2m;
    output_buffers 2 1m;
    default_type application/octet-stream;
    types {{ video/mp4 mp4; video/webm webm; video/quicktime mov; video/x-matroska mkv; }}
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location = /healthz {{ return 200 "ok"; }}
        location /files/ {{ alias {root}/; }}
    }}
}}
"""

FILE_APP = '''\
"""Naive streaming: the app process reads the file and writes it to the socket."""
import os

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse

app = FastAPI()
PATH = os.environ["BENCH_FILE"]


@app.get("/file")
def get_file() -> FileResponse:
    return FileResponse(PATH, media_type="video/mp4")


@app.get("/healthz")
def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def static_nginx(root: Path) -> Iterator[str]:
    """nginx with sendfile serving `root` under /files/; yields its base URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as prefix:
        port = free_port()
        (Path(prefix) / "tmp").mkdir()
        conf = Path(prefix) / "nginx.conf"
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(NGINX_CONF.format(user=user, prefix=prefix, port=port, root=root))
        process = subprocess.Popen(
            [nginx, "-c", str(conf), "-p", prefix], stdout=subprocess.DEVNULL
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


@contextlib.contextmanager
def file_response_app(path: Path) -> Iterator[str]:
    """uvicorn running a 10-line FastAPI app that returns FileResponse(path)."""
    with tempfile.TemporaryDirectory(prefix="bench-fileresponse-") as app_dir:
        (Path(app_dir) / "bench_file_app.py").write_text(FILE_APP)
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "bench_file_app:app", "--app-dir", app_dir,
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                "--no-access-log",
            ],
            env={**os.environ, "BENCH_FILE": str(path)},
        )  # fmt: skip
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)
