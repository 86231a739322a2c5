"""`scripts/stack up`: everything from folders and secrets to a ready gateway, idempotent;
also starting service replicas and waiting for readiness (used by `start` too)."""

from __future__ import annotations

import argparse
import os

from devstack import media_tools, nginx, postgres, postgres_cluster, postgres_provision, services
from devstack.config import PROCESSES, ServiceSpec, StackConfig, service
from devstack.inventory import all_replica_procs, previous_state, save_state
from devstack.processes import Proc, ensure_port_free, stop_all, wait_ready
from devstack.secretstore import ensure_secrets, secret_paths
from devstack.ui import elapsed, say, step

READY_TIMEOUT = float(os.environ.get("STACK_READY_TIMEOUT", "90"))


def selected_services() -> list[ServiceSpec]:
    """STACK_SERVICES=company-service,user-service starts a subset (default: all three
    services and the video-worker)."""
    raw = os.environ.get("STACK_SERVICES", "").strip()
    if not raw:
        return list(PROCESSES)
    return [service(name.strip()) for name in raw.split(",") if name.strip()]


def readiness_checks(
    cfg: StackConfig, specs: list[ServiceSpec], gateway: bool
) -> dict[str, tuple[str, Proc | None]]:
    checks: dict[str, tuple[str, Proc | None]] = {}
    for spec in specs:
        for i in range(1, cfg.replicas + 1):
            proc = services.replica_proc(cfg, spec, i)
            checks[proc.name] = (f"http://127.0.0.1:{cfg.port(spec, i)}/readyz", proc)
    if gateway:
        checks["gateway"] = (f"{cfg.gateway_url}/healthz", nginx.proc(cfg))
    return checks


def start_services(cfg: StackConfig, specs: list[ServiceSpec]) -> tuple[int, int]:
    """Start missing replicas, restart changed ones, stop surplus ones; (started, kept)."""
    secrets = secret_paths(cfg.secrets_dir)
    started = kept = 0
    for spec in specs:
        surplus = [
            p for p in all_replica_procs(cfg, spec) if int(p.name.rsplit("-", 1)[1]) > cfg.replicas
        ]
        stop_all(surplus)
        for i in range(1, cfg.replicas + 1):
            proc = services.replica_proc(cfg, spec, i)
            if proc.alive():
                if proc.fingerprint() == services.wanted_identity(cfg, spec, i, secrets):
                    kept += 1
                    continue
                stop_all([proc])
            ensure_port_free(cfg.port(spec, i), proc.name)
            services.start_replica(cfg, spec, i, secrets)
            started += 1
    return started, kept


def cmd_up(_: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    specs = selected_services()
    say(f"media-resource local stack in {cfg.stack_dir}")
    previous = previous_state(cfg)
    with step("folders"):
        for folder in (cfg.root, cfg.logs_dir, cfg.run_dir, cfg.storage_dir, cfg.nginx_dir):
            folder.mkdir(parents=True, exist_ok=True)
    with step("secrets"):
        secrets, created = ensure_secrets(cfg.secrets_dir)
    if created:
        say(f"         generated: {', '.join(created)}")
    with step("PostgreSQL binaries"):
        bindir = postgres.ensure_bindir(cfg)
    with step("nginx binary"):
        nginx_bin = nginx.ensure_nginx(cfg)
    if any(spec.worker for spec in specs):
        with step("ffmpeg and ffprobe"):
            media_tools.ensure_ffmpeg(cfg)
    with step(f"services importable ({', '.join(s.name for s in specs)})"):
        services.check_installed(specs)
    cluster = postgres_cluster.locate(cfg, bindir)
    with step(f"PostgreSQL cluster ({cluster.data_dir})"):
        postgres_cluster.init_cluster(cluster, secrets)
    previous_port = previous["pg_port"] if previous else None
    postgres_cluster.restart_if_port_changed(cluster, previous_port)
    with step(f"PostgreSQL on 127.0.0.1:{cfg.pg_port}"):
        postgres_cluster.start(cluster)
    with step("database media, roles, schemas"):
        postgres_provision.provision(cluster, secrets)
    save_state(cfg, cluster)
    with step("migrations"):
        services.migrate_all(cfg, [spec for spec in specs if not spec.worker], secrets)
    with step(f"services ({cfg.replicas} replica(s) each)"):
        started, kept = start_services(cfg, specs)
    say(f"         started {started}, kept {kept} already running")
    with step("gateway config (nginx -t)"):
        nginx.write_config(cfg)
        nginx.check_config(nginx_bin, cfg)
    with step(f"gateway on {cfg.gateway_url}"):
        if nginx.proc(cfg).alive():
            nginx.reload(cfg)
        else:
            ensure_port_free(cfg.gateway_port, "the gateway")
            ensure_port_free(cfg.internal_port, "the gateway's internal listener")
            nginx.start(nginx_bin, cfg)
    with step("waiting for /readyz of every replica and the gateway"):
        wait_ready(readiness_checks(cfg, specs, gateway=True), READY_TIMEOUT, {})
    say()
    say(f"Stack is up ({elapsed():.1f}s).")
    say(f"  gateway   {cfg.gateway_url}")
    say(f"  docs      {cfg.gateway_url}/docs")
    say(f"  postgres  127.0.0.1:{cfg.pg_port} (./scripts/stack psql)")
    say(f"  logs      {cfg.logs_dir}")
    say("Try:")
    say(
        f"  curl -s -X POST {cfg.gateway_url}/api/v1/companies "
        '-H \'Content-Type: application/json\' -d \'{"name": "Acme", "admin": '
        '{"email": "ann@acme.test", "password": "s3cret-pass"}}\''
    )
    say("  ./scripts/stack status | logs [SERVICE] | stop SERVICE | start SERVICE | down")
    return 0
