"""The three services as local processes: their environment, migrations, replicas."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

from devstack.config import PASS_THROUGH, PASS_THROUGH_ALL, ServiceSpec, StackConfig
from devstack.processes import Proc, fingerprint, spawn
from devstack.secretstore import SecretPaths, secret_paths
from devstack.ui import StackError, tail

# Taken from the caller's environment; everything a service reads comes from service_env().
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME")


def service_env(
    cfg: StackConfig, spec: ServiceSpec, secrets: SecretPaths | None = None
) -> dict[str, str]:
    """The environment a service gets (without the inherited PATH/HOME/...)."""
    paths = secrets or secret_paths(cfg.secrets_dir)
    env: dict[str, str] = {
        "SERVICE_NAME": spec.name,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(cfg.pg_port),
        "DB_NAME": "media",
        "DB_USER": spec.role,
        "DB_PASSWORD_FILE": str(paths.db_passwords[spec.role]),
        "INTERNAL_TOKEN_FILE": str(paths.internal_token),
        "LOG_LEVEL": "INFO",
    }
    # Calls between services go through the gateway's internal listener, which balances
    # over the replicas and skips a stopped one (see gateway/nginx.conf.template).
    jwks_url = f"{cfg.internal_url}/api/v1/auth/jwks.json"
    if spec.name in ("company-service", "video-service"):
        env["JWT_PUBLIC_KEYS_FILE"] = str(paths.jwt_public_keys)
    if spec.name == "company-service":
        env["JWKS_URL"] = jwks_url
        env["USER_SERVICE_URL"] = cfg.internal_url
    elif spec.name == "user-service":
        env["JWT_PRIVATE_KEY_FILE"] = str(paths.jwt_private_key)
        env["COMPANY_SERVICE_URL"] = cfg.internal_url
    elif spec.package == "video_service":  # the API and its worker
        env.update(
            {
                "JWKS_URL": jwks_url,
                "COMPANY_SERVICE_URL": cfg.internal_url,
                "USER_SERVICE_URL": cfg.internal_url,
                "PLAYBACK_SECRET_FILE": str(paths.playback_secret),
                "WEBHOOK_ENCRYPTION_KEY_FILE": str(paths.webhook_encryption_key),
                # The local stack delivers to receivers on this machine (tests, demos).
                "WEBHOOK_ALLOW_PRIVATE": "true",
                "STORAGE_BACKEND": cfg.storage_backend,
                "STORAGE_DIR": str(cfg.storage_dir),
                "MAX_UPLOAD_MB": str(cfg.max_upload_mb),
                "POINTS_PER_VIEW": str(cfg.points_per_view),
            }
        )
    passed = PASS_THROUGH.get(spec.folder.name, ())
    for name in (*PASS_THROUGH_ALL, *passed):
        if name in cfg.passthrough:
            env[name] = cfg.passthrough[name]
    return env


def process_env(service: dict[str, str]) -> dict[str, str]:
    env = {k: os.environ[k] for k in BASE_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(service)
    return env


def replica_proc(cfg: StackConfig, spec: ServiceSpec, replica: int) -> Proc:
    port = cfg.port(spec, replica)
    return Proc(f"{spec.name}-{replica}", cfg.run_dir, cfg.logs_dir, marker=f"--port {port}")


def replica_cmd(spec: ServiceSpec, port: int) -> list[str]:
    if spec.worker:
        return [
            sys.executable, "-m", f"{spec.package}.{spec.short}",
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"{spec.package}.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--proxy-headers",
        "--forwarded-allow-ips",
        "127.0.0.1",
        "--timeout-graceful-shutdown",
        "5",
        "--no-access-log",
    ]


def check_installed(specs: list[ServiceSpec]) -> None:
    """Every service folder is there and provides `<pkg>.main` and `<pkg>.migrate`."""
    for spec in specs:
        if not (spec.folder / "pyproject.toml").exists():
            raise StackError(f"{spec.name}/pyproject.toml is missing: the service is not there yet")
        for module in (f"{spec.package}.main", f"{spec.package}.migrate"):
            try:
                found = importlib.util.find_spec(module) is not None
            except ImportError:
                found = False
            if not found:
                raise StackError(
                    f"module {module} not found (is {spec.name} installed in .venv? "
                    "scripts/stack installs it editable)"
                )


def migrate_all(cfg: StackConfig, specs: list[ServiceSpec], secrets: SecretPaths) -> None:
    """Run `python -m <pkg>.migrate` for every service at once; fail with the log tail."""
    cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    running: list[tuple[ServiceSpec, Path, subprocess.Popen[bytes]]] = []
    for spec in specs:
        log_path = cfg.logs_dir / f"{spec.name}-migrate.log"
        env = process_env(service_env(cfg, spec, secrets))
        with open(log_path, "ab") as log:
            log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} migrate\n".encode())
            log.flush()
            child = subprocess.Popen(
                [sys.executable, "-m", f"{spec.package}.migrate"],
                env=env,
                cwd=spec.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running.append((spec, log_path, child))
    failures = []
    for spec, log_path, child in running:
        try:
            code = child.wait(timeout=180)
        except subprocess.TimeoutExpired:
            child.kill()
            code = -1
        if code != 0:
            failures.append(
                f"--- {spec.name} migrate exited {code}; {log_path}:\n{tail(str(log_path))}"
            )
    if failures:
        raise StackError("migrations failed:\n" + "\n".join(failures))


def start_replica(cfg: StackConfig, spec: ServiceSpec, replica: int, secrets: SecretPaths) -> Proc:
    proc = replica_proc(cfg, spec, replica)
    env = process_env(service_env(cfg, spec, secrets))
    identity = wanted_identity(cfg, spec, replica, secrets)
    spawn(proc, replica_cmd(spec, cfg.port(spec, replica)), env, cwd=spec.folder, identity=identity)
    return proc


def wanted_identity(cfg: StackConfig, spec: ServiceSpec, replica: int, secrets: SecretPaths) -> str:
    """Hash of what makes this replica: command and service settings (not PATH etc.)."""
    return fingerprint(replica_cmd(spec, cfg.port(spec, replica)), service_env(cfg, spec, secrets))
