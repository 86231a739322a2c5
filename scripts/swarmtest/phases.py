"""The phases of `scripts/swarm test`, each timed and judged on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from swarmtest import docker
from swarmtest.api import BASE_URL, Tenant, upload_videos
from swarmtest.load import Load, Tally

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / ".swarm"
ROLLED = ("company-service", "user-service", "video-service")
# How long the load runs before the disturbance starts, and after the stack is whole again.
SETTLE_SECONDS = float(os.environ.get("SWARM_SETTLE_SECONDS", "3"))
# Videos uploaded before each loaded phase, first-streamed one per 3 s during it.
FRESH_PER_PHASE = 15


@dataclass
class Result:
    name: str
    seconds: float
    ok: bool
    tally: Tally | None = None
    note: str = ""


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def timed(name: str, body: Callable[[], tuple[bool, Tally | None, str]]) -> Result:
    say(f"--> {name}")
    started = time.monotonic()
    try:
        ok, tally, note = body()
    except Exception as exc:  # one broken phase must not hide the others' results
        ok, tally, note = False, None, f"{type(exc).__name__}: {exc}"
    result = Result(name, time.monotonic() - started, ok, tally, note)
    counts = f" sent {tally.sent} failed {tally.failed} retried {tally.retried}" if tally else ""
    say(f"    {'ok  ' if ok else 'FAIL'} {result.seconds:6.1f} s{counts} {note}".rstrip())
    for sample in tally.samples if tally and tally.failed else []:
        say(f"      failed: {sample}")
    return result


def smoke(label: str) -> tuple[bool, Tally | None, str]:
    """The smoke scripts, called by name, through port 80."""
    log = LOGS / f"smoke-{label}.log"
    with log.open("w") as out:
        result = subprocess.run(
            [str(REPO / "scripts" / "smoke-all.sh")],
            env={**os.environ, "BASE_URL": BASE_URL},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=600,
        )
    if result.returncode != 0:
        say(log.read_text()[-3000:])
    return result.returncode == 0, None, f"(log {log.relative_to(REPO)})"


def rolling_update(tenant: Tenant, short: str) -> tuple[bool, Tally | None, str]:
    """`docker service update --force` under load: no request may fail, none is retried."""
    name = docker.service(short)
    tenant.login()
    upload_videos(tenant, FRESH_PER_PHASE)
    with Load(tenant) as load:
        time.sleep(SETTLE_SECONDS)
        docker.force_update(name)
        docker.wait_ready()
        time.sleep(SETTLE_SECONDS)
    return load.tally.failed == 0, load.tally, ""


def kill_task(tenant: Tenant, short: str) -> tuple[bool, Tally | None, str]:
    """SIGKILL of one task under load. Requests in flight on it may fail once; the client
    sends them again (retries) and none may fail for good."""
    name = docker.service(short)
    tenant.login()
    upload_videos(tenant, FRESH_PER_PHASE)
    with Load(tenant, retries=3) as load:
        time.sleep(SETTLE_SECONDS)
        killed = docker.kill_one_task(name)
        replaced = docker.wait_replaced(name, killed)
        docker.wait_ready()
        time.sleep(SETTLE_SECONDS)
    return load.tally.failed == 0, load.tally, f"replaced in {replaced:.1f} s"


def points(tenant: Tenant) -> tuple[bool, Tally | None, str]:
    """Every first stream that answered earned its credit once: none lost, none twice."""
    balance, expected = tenant.wait_points()
    streams = len(tenant.streamed)
    return (
        balance == expected,
        None,
        f"balance {balance}, expected {expected} ({streams} first streams)",
    )


def postgres_restart() -> tuple[bool, Tally | None, str]:
    """The PostgreSQL task replaced: every service comes back by itself, smoke passes."""
    docker.force_update(docker.service("postgres"))
    waited = docker.wait_ready(timeout=300)
    ok, _, note = smoke("after-postgres")
    return ok, None, f"stack whole again {waited:.1f} s after the new task ran; smoke {note}"
