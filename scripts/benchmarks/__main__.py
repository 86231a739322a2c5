"""`scripts/bench stream|points|media|api|views|all`: figures of the running local stack.

Reads the gateway URL, service ports, secrets and admin DSN from the stack's stack.json
(default .stack/stack.json; --state to change). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.apibench import run_api
from benchmarks.media import PARTS, run_media
from benchmarks.points import run_points
from benchmarks.report import say
from benchmarks.stack import DEFAULT_STATE, load_stack, points_per_view
from benchmarks.stream import run_stream
from benchmarks.views import run_views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["stream", "points", "media", "api", "views", "all"])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="stack.json to use")
    parser.add_argument("--size-mb", type=int, default=256, help="stream: file size (MiB)")
    parser.add_argument("--runs", type=int, default=5, help="stream: runs per measurement")
    parser.add_argument(
        "--rps-requests", type=int, default=500, help="stream: small requests per client"
    )
    parser.add_argument("--credits", type=int, default=1000, help="points: credits per run")
    parser.add_argument("--spread", type=int, default=100, help="points: users in the spread")
    parser.add_argument("--seconds", type=int, default=5, help="api: seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="api: rounds over all targets")
    parser.add_argument(
        "--replicas", default="1,2", help="api: replica counts to measure, comma-separated"
    )
    parser.add_argument("--videos", type=int, default=200, help="views: videos streamed")
    parser.add_argument("--source-seconds", type=int, default=10, help="media: source length (s)")
    parser.add_argument("--segment-rounds", type=int, default=20, help="media: list repeats")
    parser.add_argument("--gets", type=int, default=500, help="media: GETs per latency run")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="media: segments,latency,transcode"
    )
    args = parser.parse_args(argv)

    stack = load_stack(args.state)
    say(
        f"# scripts/bench {args.what} - {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"gateway {stack.gateway_url}"
    )
    say(
        "load average before the run: "
        + " / ".join(f"{load:.2f}" for load in os.getloadavg())
        + " (1/5/15 min; other processes on this machine skew every figure)"
    )
    say()
    if args.what in ("stream", "all"):
        run_stream(stack, args.size_mb, args.runs, args.rps_requests)
    if args.what in ("points", "all"):
        run_points(stack, args.credits, args.spread)
    if args.what in ("views", "all"):
        run_views(stack, args.videos, points_per_view(args.state))
    if args.what in ("media", "all"):
        parts = tuple(args.parts.split(","))
        run_media(stack, args.source_seconds, args.segment_rounds, args.gets, parts)
    if args.what in ("api", "all"):
        replicas = [int(n) for n in args.replicas.split(",") if n.strip()]
        run_api(args.state, args.seconds, args.rounds, replicas)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
