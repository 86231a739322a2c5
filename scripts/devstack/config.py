"""Stack settings: read from the environment by `up`, saved to `$STACK_DIR/stack.json`.

Every other command (`down`, `stop`, `start`, `status`, ...) reads `stack.json`, so it acts
on the stack as it was started, whatever the caller's environment says now.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devstack.ui import StackError

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # folder / CLI name, e.g. "company-service"
    package: str  # import name, e.g. "company_service"
    short: str  # "company": docs path, upstream name
    base_port: int  # replica i listens on base_port + i
    role: str  # PostgreSQL login role
    schema: str  # PostgreSQL schema owned by the role
    # A worker (`python -m <package>.worker`, its port serving health and metrics only)
    # rather than an HTTP API under uvicorn; it lives in the folder of its service.
    worker: bool = False
    folder_name: str = ""

    def port(self, replica: int) -> int:
        return self.base_port + replica

    @property
    def folder(self) -> Path:
        return REPO / (self.folder_name or self.name)


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("company-service", "company_service", "company", 8100, "company_svc", "company"),
    ServiceSpec("user-service", "user_service", "user", 8200, "identity_svc", "identity"),
    ServiceSpec("video-service", "video_service", "video", 8300, "video_svc", "video"),
)
SERVICE_NAMES = tuple(s.name for s in SERVICES)
# Workers: same package, role and schema as their service; REPLICAS applies to them too.
WORKERS: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "video-worker", "video_service", "worker", 8400, "video_svc", "video",
        worker=True, folder_name="video-service",
    ),
)  # fmt: skip
PROCESSES = (*SERVICES, *WORKERS)
PROCESS_NAMES = tuple(s.name for s in PROCESSES)
COMPONENTS = (*PROCESS_NAMES, "gateway", "postgres")

# Variables handed from the caller's environment to the services when set.
PASS_THROUGH: dict[str, tuple[str, ...]] = {
    "company-service": ("PLAN_SWEEP_SECONDS",),
    "user-service": (
        "ACCESS_TOKEN_TTL_SECONDS",
        "REFRESH_TOKEN_TTL_DAYS",
        "POINTS_LOCK_TIMEOUT_MS",
    ),
    "video-service": (
        "PLAYBACK_TOKEN_TTL",
        "FFMPEG_PRESET",
        "FFMPEG_THREADS",
        "HLS_SEGMENT_SECONDS",
        "WORKER_CONCURRENCY",
        "JOB_MAX_ATTEMPTS",
        "STALLED_WORKER_SECONDS",
        "S3_ENDPOINT",
        "S3_ACCESS_KEY",
        "S3_ACCESS_KEY_FILE",
        "S3_SECRET_KEY",
        "S3_SECRET_KEY_FILE",
        "S3_BUCKET",
        "S3_SECURE",
        "S3_REGION",
    ),
}
PASS_THROUGH_ALL = ("LOG_LEVEL", "DB_POOL_SIZE", "JWT_ISSUER", "JWT_AUDIENCE")


def service(name: str) -> ServiceSpec:
    for spec in PROCESSES:
        if spec.name == name:
            return spec
    raise StackError(f"unknown service {name!r}; one of: {', '.join(PROCESS_NAMES)}")


def _int_env(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise StackError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise StackError(f"{name} must be >= {minimum}, got {value}")
    return value


def default_stack_dir() -> Path:
    raw = os.environ.get("STACK_DIR", "").strip()
    return Path(raw).expanduser().resolve() if raw else REPO / ".stack"


@dataclass
class StackConfig:
    stack_dir: str
    gateway_port: int = 8080
    internal_port: int = 8081
    pg_port: int = 25432
    replicas: int = 1
    max_upload_mb: int = 2048
    storage_backend: str = "local"
    points_per_view: int = 10
    auth_rate_limit_per_min: int = 60
    auth_rate_limit_burst: int = 10
    # added to every service port (8100+i etc.), so a second stack (the tests') can run
    # next to the default one
    port_offset: int = 0
    # variables passed through to the services (set in the caller's environment at `up`)
    passthrough: dict[str, str] = field(default_factory=dict)

    def port(self, spec: ServiceSpec, replica: int) -> int:
        return self.port_offset + spec.port(replica)

    # ---- derived paths
    @property
    def root(self) -> Path:
        return Path(self.stack_dir)

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def storage_dir(self) -> Path:
        return self.root / "storage"

    @property
    def nginx_dir(self) -> Path:
        return self.root / "nginx"

    @property
    def state_file(self) -> Path:
        return self.root / "stack.json"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def internal_url(self) -> str:
        return f"http://127.0.0.1:{self.internal_port}"

    @property
    def path_hash(self) -> str:
        return hashlib.sha256(self.stack_dir.encode()).hexdigest()[:12]

    @classmethod
    def from_env(cls) -> StackConfig:
        """Settings for `up`: the environment, falling back to what this stack was last
        started with (stack.json), then to the defaults."""
        try:
            saved = cls.load()
        except StackError:
            saved = cls(stack_dir=str(default_stack_dir()))
        gateway_port = _int_env("GATEWAY_PORT", saved.gateway_port, 1)
        default_internal = (
            saved.internal_port if "GATEWAY_PORT" not in os.environ else gateway_port + 1
        )
        backend = os.environ.get("STORAGE_BACKEND", "").strip() or saved.storage_backend
        if backend not in ("local", "s3"):
            raise StackError(f"STORAGE_BACKEND must be local or s3, got {backend!r}")
        passthrough: dict[str, str] = dict(saved.passthrough)
        names = {*PASS_THROUGH_ALL, *(n for group in PASS_THROUGH.values() for n in group)}
        for name in sorted(names):
            value = os.environ.get(name)
            if value is not None and value != "":
                passthrough[name] = value
        if backend == "s3" and "S3_ENDPOINT" not in passthrough:
            raise StackError(
                "STORAGE_BACKEND=s3 needs S3_ENDPOINT (and S3_ACCESS_KEY/S3_SECRET_KEY)"
            )
        return cls(
            stack_dir=str(default_stack_dir()),
            gateway_port=gateway_port,
            internal_port=_int_env("INTERNAL_PORT", default_internal, 1),
            pg_port=_int_env("PG_PORT", saved.pg_port, 1),
            replicas=_int_env("REPLICAS", saved.replicas, 1),
            max_upload_mb=_int_env("MAX_UPLOAD_MB", saved.max_upload_mb, 1),
            storage_backend=backend,
            points_per_view=_int_env("POINTS_PER_VIEW", saved.points_per_view, 0),
            auth_rate_limit_per_min=_int_env(
                "AUTH_RATE_LIMIT_PER_MIN", saved.auth_rate_limit_per_min, 1
            ),
            auth_rate_limit_burst=_int_env("AUTH_RATE_LIMIT_BURST", saved.auth_rate_limit_burst, 0),
            port_offset=_int_env("SERVICE_PORT_OFFSET", saved.port_offset, 0),
            passthrough=passthrough,
        )

    @classmethod
    def load(cls, stack_dir: Path | None = None) -> StackConfig:
        """The settings of the stack in `stack_dir` (default: `$STACK_DIR`), as saved by `up`."""
        root = stack_dir or default_stack_dir()
        state = root / "stack.json"
        if not state.exists():
            raise StackError(f"no stack in {root} (run `scripts/stack up` first)")
        data = json.loads(state.read_text(encoding="utf-8"))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data["config"].items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
