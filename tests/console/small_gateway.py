"""A second gateway, rendered from the same template as the test stack's, in front of the
same services, with a 1 MB upload limit: the console meets a real 413 from nginx without a
2 GB upload. (The test stack's own limit is the default 2048 MB.)"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from devstack.config import StackConfig
from devstack.nginx import find_nginx, template_values
from devstack.render import render_file

UPLOAD_LIMIT_MB = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def small_limit_gateway(stack_dir: Path, work: Path) -> Iterator[str]:
    """Run the extra nginx; yields its base URL."""
    cfg = StackConfig.load(stack_dir)
    port = free_port()
    values = {
        **template_values(cfg),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "INTERNAL_LISTEN": f"127.0.0.1:{free_port()}",
        "NGINX_PID": str(work / "nginx.pid"),
        "NGINX_ERROR_LOG": str(work / "error.log"),
        "NGINX_ACCESS_LOG": str(work / "access.log"),
        "NGINX_TEMP_DIR": str(work / "tmp"),
        "MAX_UPLOAD_MB": str(UPLOAD_LIMIT_MB),
        "UPLOAD_BODY_MAX_MB": str(UPLOAD_LIMIT_MB + 1),
    }
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(render_file(values), encoding="utf-8")
    binary = find_nginx()
    assert binary is not None, "nginx missing (scripts/stack up installs it)"
    cmd = [str(binary), "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf)]
    proc = subprocess.Popen(
        [*cmd, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
