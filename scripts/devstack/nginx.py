"""The gateway of the local stack: nginx rendered from `gateway/nginx.conf.template`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from devstack import postgres
from devstack.config import REPO, SERVICES, StackConfig
from devstack.processes import Proc, spawn
from devstack.render import render_file, upstream_lines
from devstack.ui import StackError

DOCS_HTML = REPO / "gateway" / "docs.html"
CONSOLE_DIR = REPO / "gateway" / "console"


def find_nginx() -> Path | None:
    explicit = os.environ.get("NGINX_BIN")
    for candidate in (explicit, shutil.which("nginx"), "/usr/sbin/nginx", "/usr/local/sbin/nginx"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def ensure_nginx(cfg: StackConfig) -> Path:
    found = find_nginx()
    if found:
        return found
    log = cfg.logs_dir / "install.log"
    if postgres.apt_install(["nginx-light", "nginx"], log):
        found = find_nginx()
        if found:
            return found
    raise StackError(
        "nginx not found.\n"
        "  Debian/Ubuntu: sudo apt-get install -y nginx-light   (or nginx)\n"
        "  macOS:         brew install nginx\n"
        "or point NGINX_BIN at the nginx binary."
        + (f"\n(apt-get output: {log})" if log.exists() else "")
    )


def first_nameserver() -> str:
    """A DNS server for hostnames in presigned storage URLs (GATEWAY_RESOLVER overrides)."""
    explicit = os.environ.get("GATEWAY_RESOLVER", "").strip()
    if explicit:
        return explicit
    try:
        for line in Path("/etc/resolv.conf").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver" and "." in parts[1]:
                return parts[1]
    except OSError:
        pass
    return "127.0.0.1"


def retry_after_seconds(per_minute: int) -> int:
    """Retry-After of a 429: the whole seconds until the limit frees one more request."""
    return -(-60 // per_minute)


def template_values(cfg: StackConfig) -> dict[str, str]:
    """The placeholder values for the local stack (the Swarm image sets its own)."""
    tmp = cfg.nginx_dir / "tmp"
    ups = {
        f"{spec.short.upper()}_UPSTREAM_SERVERS": upstream_lines(
            [f"127.0.0.1:{cfg.port(spec, i)}" for i in range(1, cfg.replicas + 1)]
        )
        for spec in SERVICES
    }
    # proxy_pass dials the upstream block of the same name (fixed addresses, keepalive).
    proxies = {f"{spec.short.upper()}_PROXY": f"{spec.short}_service" for spec in SERVICES}
    return {
        "NGINX_USER_DIRECTIVE": "user root;" if os.geteuid() == 0 else "",
        "WORKER_PROCESSES": os.environ.get("GATEWAY_WORKERS", "auto"),
        "NGINX_PID": str(cfg.run_dir / "nginx.pid"),
        "NGINX_ERROR_LOG": str(cfg.logs_dir / "gateway-error.log"),
        "NGINX_ACCESS_LOG": str(cfg.logs_dir / "gateway-access.log"),
        "NGINX_TEMP_DIR": str(tmp),
        "GATEWAY_LISTEN": f"127.0.0.1:{cfg.gateway_port}",
        "INTERNAL_LISTEN": f"127.0.0.1:{cfg.internal_port}",
        "RESOLVER": first_nameserver(),
        "MAX_UPLOAD_MB": str(cfg.max_upload_mb),
        "UPLOAD_BODY_MAX_MB": str(cfg.max_upload_mb + 1),
        "AUTH_RATE_LIMIT_PER_MIN": str(cfg.auth_rate_limit_per_min),
        "AUTH_RATE_LIMIT_BURST": str(cfg.auth_rate_limit_burst),
        "RATE_LIMIT_RETRY_AFTER": str(retry_after_seconds(cfg.auth_rate_limit_per_min)),
        "STORAGE_DIR": str(cfg.storage_dir),
        "DOCS_HTML": str(DOCS_HTML),
        "CONSOLE_DIR": str(CONSOLE_DIR),
        **ups,
        **proxies,
    }


def conf_path(cfg: StackConfig) -> Path:
    return cfg.nginx_dir / "nginx.conf"


def write_config(cfg: StackConfig) -> Path:
    values = template_values(cfg)
    Path(values["NGINX_TEMP_DIR"]).mkdir(parents=True, exist_ok=True)
    cfg.storage_dir.mkdir(parents=True, exist_ok=True)
    path = conf_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_file(values), encoding="utf-8")
    return path


def base_cmd(binary: Path, cfg: StackConfig) -> list[str]:
    return [
        str(binary),
        "-p",
        str(cfg.nginx_dir),
        "-e",
        str(cfg.logs_dir / "gateway-error.log"),
        "-c",
        str(conf_path(cfg)),
    ]


def check_config(binary: Path, cfg: StackConfig) -> None:
    result = subprocess.run(
        [*base_cmd(binary, cfg), "-t", "-q"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise StackError(f"nginx -t failed for {conf_path(cfg)}:\n{result.stderr}")


def proc(cfg: StackConfig) -> Proc:
    return Proc("gateway", cfg.run_dir, cfg.logs_dir, marker="nginx")


def start(binary: Path, cfg: StackConfig) -> None:
    spawn(proc(cfg), [*base_cmd(binary, cfg), "-g", "daemon off;"], dict(os.environ))


def reload(cfg: StackConfig) -> None:
    pid = proc(cfg).pid()
    if pid is not None:
        os.kill(pid, signal.SIGHUP)
