"""Commands that look at a stack without changing it: `status`, `logs`, `env`, `psql`, `info`."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from devstack import nginx, postgres, services
from devstack.config import PROCESSES, StackConfig, service
from devstack.inventory import all_replica_procs, cluster_of, load_or_default, previous_state
from devstack.processes import http_status
from devstack.secretstore import secret_paths
from devstack.ui import StackError, say


def cmd_status(_: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    rows: list[tuple[str, str, str, str, str]] = []
    cluster = cluster_of(cfg)
    pg_pid = cluster.postmaster_pid() if cluster else None
    rows.append(("postgres", str(pg_pid or "-"), str(cfg.pg_port), yes(pg_pid is not None), "-"))
    for spec in PROCESSES:
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
