"""Command line of the local stack: `scripts/stack <command>` (see `scripts/stack --help`).

Parsing and dispatch only; the commands live in `bringup` (up), `lifecycle` (down, reset,
stop/start/kill) and `inspection` (status, logs, env, psql, info).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from devstack.bringup import cmd_up
from devstack.config import COMPONENTS, PROCESS_NAMES
from devstack.inspection import cmd_env, cmd_info, cmd_logs, cmd_psql, cmd_status
from devstack.lifecycle import cmd_down, cmd_kill, cmd_reset, cmd_start, cmd_stop
from devstack.ui import StackError, warn


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/stack",
        description="Local media-resource stack: PostgreSQL, three services, video-worker, nginx.",
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
    p.add_argument("service", choices=PROCESS_NAMES)
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
