"""`scripts/bench api`: small requests with wrk -t2 -c32, ours against two yardsticks.

In one run and interleaved (every round measures every target once, the order rotating from
round to round): a bare FastAPI app (the ceiling), a reference app like seed 000 (FastAPI +
asyncpg, HS256 decode, one SELECT by key), and ours through the gateway (`GET /users/me`,
`GET /users`, `GET /videos/{id}`, `/stream` with `Range: bytes=0-1023`, `GET /companies/{id}`),
plus video-service's `/healthz` straight at its replicas and the gateway's own `/healthz`;
and, for the cost of the current-authorization check, `GET /companies/{id}` straight at two
extra company-service processes of the same code, one with the check and one without
(`refapps.company_service`). The local stack is
scaled to each replica count in turn (`scripts/stack up` with REPLICAS) and put back as it
was. Only ratios within one run mean much on a shared 2-core machine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.api import new_tenant
from benchmarks.refapps import Yardstick, bare_app, company_service, reference_app
from benchmarks.report import median, say, table
from benchmarks.stack import REPO_ROOT, StackInfo, load_stack
from benchmarks.wrk import WrkResult, ensure_wrk, run_wrk, run_wrk_split

FIXTURE = REPO_ROOT / "video-service" / "tests" / "fixtures" / "tiny.mp4"
WARMUP_SECONDS = 2

BARE = "bare FastAPI `return {}` (1 process)"
REFERENCE = "reference: FastAPI + asyncpg, HS256, 1 SELECT (1 process)"
USERS_ME = "ours: GET /api/v1/users/me"
USERS = "ours: GET /api/v1/users"
VIDEO = "ours: GET /api/v1/videos/{id}"
RANGE = "ours: GET /stream, Range: bytes=0-1023"
COMPANY = "ours: GET /api/v1/companies/{id}"
CHECKED = "company-service direct, access check on (1 process)"
UNCHECKED = "company-service direct, access check off (1 process)"
HEALTHZ = "ours: video-service /healthz (direct)"
GATEWAY_HEALTHZ = "gateway /healthz (nginx alone)"

SHORT = {
    BARE: "bare",
    REFERENCE: "reference",
    USERS_ME: "users/me",
    USERS: "users",
    VIDEO: "videos/{id}",
    RANGE: "Range",
    COMPANY: "companies/{id}",
    CHECKED: "check on",
    UNCHECKED: "check off",
    HEALTHZ: "healthz",
    GATEWAY_HEALTHZ: "gateway healthz",
}
# (numerator, denominator, target): the targets, printed next to the measured ratio
RATIOS = [
    (USERS_ME, REFERENCE, 3.0),
    (USERS, REFERENCE, 3.0),
    (VIDEO, REFERENCE, 3.0),
    (COMPANY, REFERENCE, None),
    (CHECKED, UNCHECKED, None),
    (RANGE, HEALTHZ, 0.6),
    (HEALTHZ, BARE, 0.5),
    (GATEWAY_HEALTHZ, BARE, None),
]


@dataclass(frozen=True)
class Target:
    name: str
    measure: Callable[[int], WrkResult]  # seconds -> one wrk run


def scale(state: Path, replicas: int) -> StackInfo:
    """`scripts/stack up` with REPLICAS=n on the stack of `state`, every other setting as
    saved (a clean environment, so no stray GATEWAY_PORT... moves the stack)."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(STACK_DIR=str(state.parent), REPLICAS=str(replicas))
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "stack"), "up"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"bench: scripts/stack up (REPLICAS={replicas}) failed:\n{result.stdout}")
    return load_stack(state)


@dataclass(frozen=True)
class Variants:
    """The two company-service processes of the access-check comparison."""

    checked: str
    unchecked: str


def targets(
    wrk: str, stack: StackInfo, bare: Yardstick, ref: Yardstick, variants: Variants
) -> list[Target]:
    tenant = new_tenant(stack.gateway_url)
    video = tenant.upload(FIXTURE, "bench api")
    auth = (f"Authorization: Bearer {tenant.access_token}",)
    base = stack.gateway_url

    def wrk_on(url: str, headers: Sequence[str] = ()) -> Callable[[int], WrkResult]:
        return lambda seconds: run_wrk(wrk, url, headers, seconds=seconds)

    healthz = [f"{url}/healthz" for url in stack.service_urls["video-service"]]
    return [
        Target(BARE, wrk_on(bare.url)),
        Target(REFERENCE, wrk_on(ref.url, ref.headers)),
        Target(USERS_ME, wrk_on(f"{base}/api/v1/users/me", auth)),
        Target(USERS, wrk_on(f"{base}/api/v1/users", auth)),
        Target(VIDEO, wrk_on(f"{base}/api/v1/videos/{video['id']}", auth)),
        Target(
            RANGE,
            wrk_on(f"{base}/api/v1/videos/{video['id']}/stream", (*auth, "Range: bytes=0-1023")),
        ),
        Target(COMPANY, wrk_on(f"{base}/api/v1/companies/{tenant.company_id}", auth)),
        Target(CHECKED, wrk_on(f"{variants.checked}/api/v1/companies/{tenant.company_id}", auth)),
        Target(
            UNCHECKED, wrk_on(f"{variants.unchecked}/api/v1/companies/{tenant.company_id}", auth)
        ),
        Target(HEALTHZ, lambda seconds: run_wrk_split(wrk, healthz, seconds=seconds)),
        Target(GATEWAY_HEALTHZ, wrk_on(f"{base}/healthz")),
    ]


def measure(all_targets: list[Target], seconds: int, rounds: int) -> dict[str, list[WrkResult]]:
    for target in all_targets:  # warm-up, not recorded: pools, caches, JIT-free but lazy imports
        target.measure(WARMUP_SECONDS)
    results: dict[str, list[WrkResult]] = {target.name: [] for target in all_targets}
    for round_index in range(rounds):
        shift = round_index % len(all_targets)
        for target in all_targets[shift:] + all_targets[:shift]:
            results[target.name].append(target.measure(seconds))
        say(f"  round {round_index + 1}/{rounds} done")
    return results


def report(replicas: int, results: dict[str, list[WrkResult]], seconds: int) -> None:
    rounds = len(next(iter(results.values())))
    say()
    say(
        f"### {replicas} replica(s) per service: wrk -t2 -c32, {rounds} rounds of {seconds} s, "
        "median (min-max) of the rounds"
    )
    say()
    rows = []
    for name, runs in results.items():
        rps = [r.requests_per_second for r in runs]
        rows.append(
            [
                name,
                f"{median(rps):,.0f} ({min(rps):,.0f}-{max(rps):,.0f})",
                f"{median([r.p50_ms for r in runs]):.1f}",
                f"{median([r.p99_ms for r in runs]):.1f}",
                f"{sum(r.non_2xx for r in runs)} / {sum(r.socket_errors for r in runs)}",
            ]
        )
    table(["target", "req/s", "p50 ms", "p99 ms", "non-2xx / socket errors"], rows)
    ratio_rows = []
    for top, bottom, goal in RATIOS:
        ratio = median(_rps(results[top])) / median(_rps(results[bottom]))
        verdict = "-" if goal is None else ("met" if ratio >= goal else "not met")
        label = f"{SHORT[top]} / {SHORT[bottom]}"
        ratio_rows.append([label, f"{ratio:.2f}x", "-" if goal is None else f">= {goal}x", verdict])
    table(["ratio (median req/s)", "measured", "target", ""], ratio_rows)


def company_service_env(state: Path) -> dict[str, str]:
    """The environment the stack gives company-service (scripts/devstack), plus PATH."""
    from devstack.config import StackConfig, service
    from devstack.services import service_env

    previous = os.environ.get("STACK_DIR")
    os.environ["STACK_DIR"] = str(state.parent)
    try:
        env = service_env(StackConfig.load(), service("company-service"))
    finally:
        if previous is None:
            os.environ.pop("STACK_DIR")
        else:
            os.environ["STACK_DIR"] = previous
    env["SERVICE_NAME"] = "company-service-bench"
    return {**{k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}, **env}


def _rps(runs: list[WrkResult]) -> list[float]:
    return [r.requests_per_second for r in runs]


def run_api(state: Path, seconds: int, rounds: int, replica_counts: Sequence[int]) -> None:
    wrk = ensure_wrk()
    stack = load_stack(state)
    original = len(stack.service_urls["video-service"])
    say(f"== api: small requests, {', '.join(map(str, replica_counts))} replica(s) per service")
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    say(f"load generator: {(version.stdout or version.stderr).splitlines()[0]}")
    company_env = company_service_env(state)
    with (
        bare_app() as bare,
        reference_app(stack.media_dsn) as ref,
        company_service(company_env, access_check=True) as checked,
        company_service(company_env, access_check=False) as unchecked,
    ):
        variants = Variants(checked, unchecked)
        try:
            for replicas in replica_counts:
                say(f"scaling the stack to {replicas} replica(s) per service ...")
                stack = scale(state, replicas)
                results = measure(targets(wrk, stack, bare, ref, variants), seconds, rounds)
                report(replicas, results, seconds)
        finally:
            if len(load_stack(state).service_urls["video-service"]) != original:
                say(f"putting the stack back to {original} replica(s) per service")
                scale(state, original)
