"""Command line of the local stack: `scripts/stack <command>` (see `scripts/stack --help`)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from devstack import nginx, postgres, services
from devstack.config import (
    COMPONENTS,
    REPO,
    SERVICE_NAMES,
    SERVICES,
    ServiceSpec,
    StackConfig,
    default_stack_dir,
    service,
)
from devstack.processes import (
    Proc,
    ensure_port_free,
    http_status,
    kill,
    stop_all,
    wait_ready,
)
from devstack.secretstore import ensure_secrets, secret_paths
from devstack.ui import StackError, elapsed, say, step, warn

READY_TIMEOUT = float(os.environ.get("STACK_READY_TIMEOUT", "90"))


# ----------------------------------------------------------------------------- helpers
def selected_services() -> list[ServiceSpec]:
    """STACK_SERVICES=company-service,user-service starts a subset (default: all three)."""
    raw = os.environ.get("STACK_SERVICES", "").strip()
    if not raw:
        return list(SERVICES)
    return [service(name.strip()) for name in raw.split(",") if name.strip()]


def all_replica_procs(cfg: StackConfig, spec: ServiceSpec) -> list[Proc]:
    """Every replica with a pid file (also ones beyond the current REPLICAS)."""
    procs = {i: services.replica_proc(cfg, spec, i) for i in range(1, cfg.replicas + 1)}
    for pid_file in cfg.run_dir.glob(f"{spec.name}-*.pid"):
        suffix = pid_file.stem.rsplit("-", 1)[-1]
        if suffix.isdigit():
            procs.setdefault(int(suffix), services.replica_proc(cfg, spec, int(suffix)))
    return [procs[i] for i in sorted(procs)]


def cluster_of(cfg: StackConfig) -> postgres.Cluster | None:
    bindir = postgres.find_bindir()
    if bindir is None:
        return None
    return postgres.locate(cfg, bindir)


def save_state(cfg: StackConfig, cluster: postgres.Cluster) -> None:
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


# ----------------------------------------------------------------------------- commands
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
    with step(f"services importable ({', '.join(s.name for s in specs)})"):
        services.check_installed(specs)
    cluster = postgres.locate(cfg, bindir)
    with step(f"PostgreSQL cluster ({cluster.data_dir})"):
        postgres.init_cluster(cluster, secrets)
    previous_port = previous["pg_port"] if previous else None
    postgres.restart_if_port_changed(cluster, previous_port)
    with step(f"PostgreSQL on 127.0.0.1:{cfg.pg_port}"):
        postgres.start(cluster)
    with step("database media, roles, schemas"):
        postgres.provision(cluster, secrets)
    save_state(cfg, cluster)
    with step("migrations"):
        services.migrate_all(cfg, specs, secrets)
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
        "-H 'Content-Type: application/json' -d '{\"name\": \"Acme\"}'"
    )
    say("  ./scripts/stack status | logs [SERVICE] | stop SERVICE | start SERVICE | down")
    return 0


def cmd_down(_: argparse.Namespace) -> int:
    cfg = load_or_default()
    procs = [nginx.proc(cfg)]
    for spec in SERVICES:
        procs += all_replica_procs(cfg, spec)
    with step("stopping gateway and services"):
        stopped = stop_all(procs)
    if stopped:
        say(f"         stopped {', '.join(stopped)}")
    cluster = cluster_of(cfg)
    if cluster is not None and cluster.initialized():
        with step("stopping PostgreSQL"):
            postgres.stop(cluster)
    say("Stack is down (data kept; `reset` wipes it).")
    return 0


def load_or_default() -> StackConfig:
    try:
        return StackConfig.load()
    except StackError:
        return StackConfig(stack_dir=str(default_stack_dir()))


def component_procs(cfg: StackConfig, name: str) -> list[Proc]:
    if name == "gateway":
        return [nginx.proc(cfg)]
    return all_replica_procs(cfg, service(name))


def cmd_stop(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    if args.component == "postgres":
        cluster = cluster_of(cfg)
        done = cluster is not None and postgres.stop(cluster)
        say("postgres stopped" if done else "postgres was not running")
        return 0
    stopped = stop_all(component_procs(cfg, args.component))
    say(f"stopped {', '.join(stopped)}" if stopped else f"{args.component}: nothing running")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    if args.component == "postgres":
        cluster = cluster_of(cfg)
        done = cluster is not None and postgres.kill(cluster)
        say("postgres killed (SIGKILL)" if done else "postgres was not running")
        return 0
    killed = [p.name for p in component_procs(cfg, args.component) if kill(p)]
    say(f"killed (SIGKILL) {', '.join(killed)}" if killed else f"{args.component}: nothing running")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    if args.component == "postgres":
        cluster = cluster_of(cfg)
        if cluster is None:
            raise StackError("PostgreSQL binaries not found")
        say("postgres started" if postgres.start(cluster) else "postgres was running")
        return 0
    if args.component == "gateway":
        if nginx.proc(cfg).alive():
            say("gateway was running")
            return 0
        binary = nginx.ensure_nginx(cfg)
        nginx.write_config(cfg)
        nginx.check_config(binary, cfg)
        ensure_port_free(cfg.gateway_port, "the gateway")
        ensure_port_free(cfg.internal_port, "the gateway's internal listener")
        nginx.start(binary, cfg)
        wait_ready(readiness_checks(cfg, [], gateway=True), READY_TIMEOUT, {})
        say("gateway started")
        return 0
    spec = service(args.component)
    started, kept = start_services(cfg, [spec])
    wait_ready(readiness_checks(cfg, [spec], gateway=False), READY_TIMEOUT, {})
    say(f"{spec.name}: started {started}, kept {kept} already running; ready")
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    rows: list[tuple[str, str, str, str, str]] = []
    cluster = cluster_of(cfg)
    pg_pid = cluster.postmaster_pid() if cluster else None
    rows.append(("postgres", str(pg_pid or "-"), str(cfg.pg_port), yes(pg_pid is not None), "-"))
    for spec in SERVICES:
        for proc in all_replica_procs(cfg, spec):
            port = cfg.port(spec, int(proc.name.rsplit("-", 1)[1]))
            alive = proc.alive()
            ready = http_status(f"http://127.0.0.1:{port}/readyz", 1.0) == 200 if alive else False
            rows.append((proc.name, str(proc.pid() or "-"), str(port), yes(alive), yes(ready)))
    gw = nginx.proc(cfg)
    gw_alive = gw.alive()
    gw_ready = gw_alive and http_status(f"{cfg.gateway_url}/healthz", 1.0) == 200
    ports = f"{cfg.gateway_port},{cfg.internal_port}"
    rows.append(("gateway", str(gw.pid() or "-"), ports, yes(gw_alive), yes(gw_ready)))
    header = ("NAME", "PID", "PORT", "ALIVE", "READY")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        say("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    say(f"gateway {cfg.gateway_url}  stack {cfg.stack_dir}")
    return 0


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def log_files(cfg: StackConfig, component: str | None) -> list[Path]:
    logs = cfg.logs_dir
    if component is None:
        return sorted(p for p in logs.glob("*.log") if p.exists())
    if component == "gateway":
        return [logs / "gateway-error.log", logs / "gateway-access.log", logs / "gateway.log"]
    if component == "postgres":
        return [logs / "postgres.log"]
    return sorted(logs.glob(f"{component}-*.log"))


def cmd_logs(args: argparse.Namespace) -> int:
    cfg = load_or_default()
    files = [str(p) for p in log_files(cfg, args.component) if p.exists()]
    if not files:
        say(f"no logs in {cfg.logs_dir}")
        return 1
    tail_bin = shutil.which("tail") or "/usr/bin/tail"
    cmd = [tail_bin, "-n", str(args.lines), *(["-F"] if args.follow else []), *files]
    sys.stdout.flush()
    os.execv(tail_bin, cmd)  # noqa: S606 - replaces this process with tail


def cmd_reset(args: argparse.Namespace) -> int:
    cfg = load_or_default()
    cmd_down(args)
    link = cfg.root / "pg"
    if link.is_symlink():
        outside = Path(os.readlink(link)).parent
        if outside.name.startswith("media-resource-"):
            shutil.rmtree(outside, ignore_errors=True)
    with step(f"removing {cfg.stack_dir}"):
        shutil.rmtree(cfg.root, ignore_errors=True)
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    spec = service(args.service)
    env = services.service_env(cfg, spec)
    for key in sorted(env):
        say(f"{key}={shlex.quote(env[key])}")
    return 0


def cmd_psql(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    cluster = cluster_of(cfg)
    if cluster is None:
        raise StackError("PostgreSQL binaries not found")
    psql = cluster.bindir / "psql"
    if not psql.exists():
        psql = Path(shutil.which("psql") or "psql")
    secrets = secret_paths(cfg.secrets_dir)
    env = dict(os.environ)
    env["PGPASSWORD"] = secrets.pg_superuser_password.read_text().strip()
    cmd = [str(psql), "-h", "127.0.0.1", "-p", str(cfg.pg_port), "-U", postgres.SUPERUSER]
    cmd += ["-d", args.database, *args.args]
    sys.stdout.flush()
    os.execve(psql, cmd, env)  # noqa: S606 - replaces this process with psql


def cmd_info(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    state = previous_state(cfg) or {}
    if args.key:
        value: Any = state
        for part in args.key.split("."):
            if not isinstance(value, dict) or part not in value:
                raise StackError(f"no key {args.key!r} in {cfg.state_file}")
            value = value[part]
        say(value if isinstance(value, str) else json.dumps(value))
    else:
        say(json.dumps(state, indent=2))
    return 0


# ----------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/stack",
        description="Local media-resource stack: PostgreSQL, the three services, nginx.",
        epilog="Settings come from the environment at `up` (see README: Environment "
        "variables (stack)); the other commands use the saved $STACK_DIR/stack.json.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("up", help="start everything (idempotent)").set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop everything, keep the data").set_defaults(func=cmd_down)
    for name, func, text in (
        ("stop", cmd_stop, "stop all replicas of one component (SIGTERM)"),
        ("start", cmd_start, "start one component again and wait until it is ready"),
        ("kill", cmd_kill, "SIGKILL one component (crash tests)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("component", choices=COMPONENTS)
        p.set_defaults(func=func)
    sub.add_parser("status", help="table of processes").set_defaults(func=cmd_status)
    p = sub.add_parser("logs", help="tail the logs (of one component)")
    p.add_argument("component", nargs="?", choices=COMPONENTS)
    p.add_argument("-n", "--lines", type=int, default=40)
    p.add_argument("-f", "--follow", action="store_true")
    p.set_defaults(func=cmd_logs)
    sub.add_parser("reset", help="down, then delete $STACK_DIR").set_defaults(func=cmd_reset)
    p = sub.add_parser("env", help="the environment a service gets (secrets as *_FILE)")
    p.add_argument("service", choices=SERVICE_NAMES)
    p.set_defaults(func=cmd_env)
    p = sub.add_parser("psql", help="psql as the superuser (extra args passed on)")
    p.add_argument("-d", "--database", default="media")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_psql)
    p = sub.add_parser("info", help="print stack.json, or one key of it (e.g. admin_dsn)")
    p.add_argument("key", nargs="?")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command == "psql":
        args.args = [*unknown, *args.args]  # psql's own options (-c, -f, ...)
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    began = time.monotonic()
    try:
        code: int = args.func(args)
    except StackError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"\nerror: {exc}\n")
        return 1
    except BrokenPipeError:  # e.g. `status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        warn(f"interrupted after {time.monotonic() - began:.1f}s")
        return 130
    return code
