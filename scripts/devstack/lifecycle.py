"""Stopping and starting: `down`, `reset`, and `stop`/`start`/`kill` of one component."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from devstack import nginx, postgres_cluster
from devstack.bringup import READY_TIMEOUT, readiness_checks, start_services
from devstack.config import PROCESSES, StackConfig, service
from devstack.inventory import all_replica_procs, cluster_of, load_or_default
from devstack.processes import Proc, ensure_port_free, kill, stop_all, wait_ready
from devstack.ui import StackError, say, step


def cmd_down(_: argparse.Namespace) -> int:
    cfg = load_or_default()
    procs = [nginx.proc(cfg)]
    for spec in PROCESSES:
        procs += all_replica_procs(cfg, spec)
    with step("stopping gateway and services"):
        stopped = stop_all(procs)
    if stopped:
        say(f"         stopped {', '.join(stopped)}")
    cluster = cluster_of(cfg)
    if cluster is not None and cluster.initialized():
        with step("stopping PostgreSQL"):
            postgres_cluster.stop(cluster)
    say("Stack is down (data kept; `reset` wipes it).")
    return 0


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


def component_procs(cfg: StackConfig, name: str) -> list[Proc]:
    if name == "gateway":
        return [nginx.proc(cfg)]
    return all_replica_procs(cfg, service(name))


def cmd_stop(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    if args.component == "postgres":
        cluster = cluster_of(cfg)
        done = cluster is not None and postgres_cluster.stop(cluster)
        say("postgres stopped" if done else "postgres was not running")
        return 0
    stopped = stop_all(component_procs(cfg, args.component))
    say(f"stopped {', '.join(stopped)}" if stopped else f"{args.component}: nothing running")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    cfg = StackConfig.load()
    if args.component == "postgres":
        cluster = cluster_of(cfg)
        done = cluster is not None and postgres_cluster.kill(cluster)
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
        say("postgres started" if postgres_cluster.start(cluster) else "postgres was running")
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
