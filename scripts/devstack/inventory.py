"""What a stack has on disk: replica processes (pid files), the PostgreSQL cluster, and the
saved settings and addresses in `$STACK_DIR/stack.json`."""

from __future__ import annotations

import json
from typing import Any

from devstack import nginx, postgres, postgres_cluster, services
from devstack.config import REPO, SERVICES, WORKERS, ServiceSpec, StackConfig, default_stack_dir
from devstack.processes import Proc
from devstack.secretstore import secret_paths
from devstack.ui import StackError


def all_replica_procs(cfg: StackConfig, spec: ServiceSpec) -> list[Proc]:
    """Every replica with a pid file (also ones beyond the current REPLICAS)."""
    procs = {i: services.replica_proc(cfg, spec, i) for i in range(1, cfg.replicas + 1)}
    for pid_file in cfg.run_dir.glob(f"{spec.name}-*.pid"):
        suffix = pid_file.stem.rsplit("-", 1)[-1]
        if suffix.isdigit():
            procs.setdefault(int(suffix), services.replica_proc(cfg, spec, int(suffix)))
    return [procs[i] for i in sorted(procs)]


def cluster_of(cfg: StackConfig) -> postgres_cluster.Cluster | None:
    bindir = postgres.find_bindir()
    if bindir is None:
        return None
    return postgres_cluster.locate(cfg, bindir)


def load_or_default() -> StackConfig:
    try:
        return StackConfig.load()
    except StackError:
        return StackConfig(stack_dir=str(default_stack_dir()))


def save_state(cfg: StackConfig, cluster: postgres_cluster.Cluster) -> None:
    secrets = secret_paths(cfg.secrets_dir)
    state: dict[str, Any] = {
        "config": cfg.to_json(),
        "repo": str(REPO),
        "stack_dir": cfg.stack_dir,
        "gateway_url": cfg.gateway_url,
        "docs_url": f"{cfg.gateway_url}/docs",
        "internal_url": cfg.internal_url,
        "gateway_port": cfg.gateway_port,
        "internal_port": cfg.internal_port,
        "pg_port": cfg.pg_port,
        "admin_dsn": cluster.admin_dsn(secrets),
        "media_dsn": cluster.admin_dsn(secrets, postgres.DATABASE),
        "postgres": cluster.as_json(),
        "replicas": cfg.replicas,
        "storage_backend": cfg.storage_backend,
        "storage_dir": str(cfg.storage_dir),
        "max_upload_mb": cfg.max_upload_mb,
        "points_per_view": cfg.points_per_view,
        "auth_rate_limit_per_min": cfg.auth_rate_limit_per_min,
        "auth_rate_limit_burst": cfg.auth_rate_limit_burst,
        "secrets": secrets.as_json(),
        "logs_dir": str(cfg.logs_dir),
        "nginx_conf": str(nginx.conf_path(cfg)),
        "services": {
            spec.name: {
                "package": spec.package,
                "role": spec.role,
                "schema": spec.schema,
                "ports": [cfg.port(spec, i) for i in range(1, cfg.replicas + 1)],
                "urls": [
                    f"http://127.0.0.1:{cfg.port(spec, i)}" for i in range(1, cfg.replicas + 1)
                ],
            }
            for spec in SERVICES
        },
        "workers": {
            spec.name: {"ports": [cfg.port(spec, i) for i in range(1, cfg.replicas + 1)]}
            for spec in WORKERS
        },
    }
    tmp = cfg.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(cfg.state_file)


def previous_state(cfg: StackConfig) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(cfg.state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data
