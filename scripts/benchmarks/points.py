"""Point-credit throughput and latency: the service's NOWAIT endpoint vs plain SQL variants.

Every run credits 1 point per call with a distinct idempotency key, then checks through the
admin DSN that nothing was lost or doubled: balance == sum of the ledger == expected.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import random
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg2
from psycopg2.extensions import connection as pg_connection

from benchmarks.api import new_tenant
from benchmarks.report import percentile, say, table
from benchmarks.stack import StackInfo

CALLERS = 32


@dataclass
class RunResult:
    name: str
    credits: int
    seconds: float
    latencies_ms: list[float]
    conflicts: int
    verdict: str = ""

    @property
    def per_second(self) -> float:
        return self.credits / self.seconds


@dataclass
class _Counters:
    conflicts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def conflict(self) -> None:
        with self.lock:
            self.conflicts += 1


def _retry_pause(retry_after: str | None) -> float:
    """Honour Retry-After only briefly: a short jittered pause, capped by the header."""
    pause = random.uniform(0.005, 0.020)
    if retry_after:
        with contextlib.suppress(ValueError):
            pause = min(pause, float(retry_after))
    return pause


def _run(name: str, targets: list[int], credit: Callable[[int, int], None]) -> RunResult:
    """Call credit(call_index, user_id) once per target from CALLERS threads."""
    latencies: list[float] = [0.0] * len(targets)

    def one(index: int) -> None:
        started = time.perf_counter()
        credit(index, targets[index])
        latencies[index] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        list(pool.map(one, range(len(targets))))
    return RunResult(name, len(targets), time.perf_counter() - started, latencies, 0)


class ServiceCredits:
    """POST /internal/v1/users/{id}/points straight to user-service replicas.

    The callers share the two cores with the services, so they use the standard library's
    lean `http.client` (one keep-alive connection per thread and replica) rather than
    `requests`, whose per-call overhead would mostly measure the client.
    """

    def __init__(self, stack: StackInfo) -> None:
        self.targets = [urlsplit(url) for url in stack.user_service_urls]
        self.token = stack.internal_token
        self.run_id = secrets.token_hex(4)
        self.local = threading.local()
        self.counters = _Counters()

    def _connection(self, replica: int) -> http.client.HTTPConnection:
        pool: dict[int, http.client.HTTPConnection] | None = getattr(self.local, "pool", None)
        if pool is None:
            pool = self.local.pool = {}
        conn = pool.get(replica)
        if conn is None:
            target = self.targets[replica]
            conn = pool[replica] = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port, timeout=30
            )
        return conn

    def _post(self, replica: int, path: str, body: bytes, key: str) -> tuple[int, str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        for _ in range(2):  # one reconnect when the server closed a kept-alive connection
            conn = self._connection(replica)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                return response.status, response.getheader("Retry-After") or "", text
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self.local.pool.pop(replica, None)
        raise RuntimeError("credit: connection failed twice")

    def credit(self, index: int, user_id: int) -> None:
        replica = index % len(self.targets)
        path = f"/internal/v1/users/{user_id}/points"
        key = f"bench-{self.run_id}-{index}"
        body = json.dumps({"amount": 1, "reason": "bench", "reference": key}).encode()
        for _attempt in range(10_000):
            status, retry_after, text = self._post(replica, path, body, key)
            if status in (200, 201):
                return
            if status == 409:
                self.counters.conflict()
                time.sleep(_retry_pause(retry_after))
                continue
            raise RuntimeError(f"credit: HTTP {status}: {text[:300]}")
        raise RuntimeError("credit: still conflicting after 10,000 attempts")


class SqlCredits:
    """The same credit done directly in PostgreSQL on a scratch table.

    One connection per caller, opened before the clock starts (a pool, as the service has).
    """

    def __init__(self, dsn: str, schema: str, atomic: bool) -> None:
        self.schema = schema
        self.atomic = atomic
        self.connections: list[pg_connection] = [psycopg2.connect(dsn) for _ in range(CALLERS)]
        self.pool: queue.SimpleQueue[pg_connection] = queue.SimpleQueue()
        for conn in self.connections:
            self.pool.put(conn)
        self.run_id = secrets.token_hex(4)

    def credit(self, index: int, account_id: int) -> None:
        conn = self.pool.get()
        try:
            self._credit(conn, index, account_id)
        finally:
            self.pool.put(conn)

    def _credit(self, conn: pg_connection, index: int, account_id: int) -> None:
        key = f"bench-{self.run_id}-{index}"
        with conn, conn.cursor() as cur:
            if self.atomic:
                cur.execute(
                    f"UPDATE {self.schema}.accounts SET points = points + 1 WHERE id = %s",
                    (account_id,),
                )
            else:
                cur.execute(
                    f"SELECT points FROM {self.schema}.accounts WHERE id = %s FOR UPDATE",
                    (account_id,),
                )
                (points,) = cur.fetchone() or (0,)
                cur.execute(
                    f"UPDATE {self.schema}.accounts SET points = %s WHERE id = %s",
                    (points + 1, account_id),
                )
            cur.execute(
                f"INSERT INTO {self.schema}.ledger (account_id, amount, idempotency_key) "
                "VALUES (%s, 1, %s)",
                (account_id, key),
            )

    def close(self) -> None:
        for conn in self.connections:
            conn.close()


def _verify(
    dsn: str,
    balance_sql: str,
    ledger_sql: str,
    ids: list[int],
    expected: dict[int, int],
    credited: int,
) -> str:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(balance_sql, (ids,))
            balances = dict(cur.fetchall())
            cur.execute(ledger_sql, (ids,))
            ledgers = {row[0]: (int(row[1]), int(row[2])) for row in cur.fetchall()}
    finally:
        conn.close()
    problems = []
    for account, want in expected.items():
        balance = int(balances.get(account, -1))
        total, count = ledgers.get(account, (0, 0))
        if not balance == total == count == want:
            problems.append(f"id {account}: balance {balance}, ledger {total}/{count}, want {want}")
    if problems:
        return "MISMATCH " + "; ".join(problems[:3])
    return f"ok: {credited} credited, 0 lost, 0 doubled"


def _targets(ids: list[int], credits: int) -> list[int]:
    return [ids[i % len(ids)] for i in range(credits)]


def _expected(targets: list[int], baseline: dict[int, int]) -> dict[int, int]:
    expected = dict(baseline)
    for target in targets:
        expected[target] += 1
    return expected


def run_points(stack: StackInfo, credits: int, spread: int) -> None:
    say(f"== points: {credits} credits of 1 point, {CALLERS} concurrent callers")
    tenant = new_tenant(stack.gateway_url)
    users = [tenant.admin_id] + [tenant.add_user() for _ in range(spread - 1)]
    results: list[RunResult] = []

    service_balance = "SELECT id, points FROM identity.users WHERE id = ANY(%s)"
    service_ledger = (
        "SELECT user_id, COALESCE(SUM(amount), 0), COUNT(*) FROM identity.point_ledger "
        "WHERE user_id = ANY(%s) GROUP BY user_id"
    )
    for label, ids in (("1 user", users[:1]), (f"{spread} users", users)):
        targets = _targets(ids, credits)
        client = ServiceCredits(stack)
        result = _run(f"user-service endpoint (NOWAIT + retry), {label}", targets, client.credit)
        result.conflicts = client.counters.conflicts
        baseline = dict.fromkeys(ids, 0) if label == "1 user" else _after_first(ids, credits)
        result.verdict = _verify(
            stack.media_dsn, service_balance, service_ledger, ids,
            _expected(targets, baseline), len(targets),
        )  # fmt: skip
        results.append(result)

    results.extend(_sql_runs(stack.media_dsn, credits, spread))
    table(
        ["variant", "credits/s", "p50 ms", "p99 ms", "409 retries", "check"],
        [
            [
                r.name,
                f"{r.per_second:,.0f}",
                f"{percentile(r.latencies_ms, 0.50):.1f}",
                f"{percentile(r.latencies_ms, 0.99):.1f}",
                str(r.conflicts) if r.name.startswith("user-service") else "-",
                r.verdict,
            ]
            for r in results
        ],
    )


def _after_first(ids: list[int], credits: int) -> dict[int, int]:
    """Balances after the single-user run: the first user already holds `credits`."""
    baseline = dict.fromkeys(ids, 0)
    baseline[ids[0]] = credits
    return baseline


def _sql_runs(dsn: str, credits: int, spread: int) -> list[RunResult]:
    schema = f"bench_scratch_{secrets.token_hex(4)}"
    admin = psycopg2.connect(dsn)
    admin.autocommit = True
    results: list[RunResult] = []
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
            cur.execute(
                f"CREATE TABLE {schema}.accounts (id bigint PRIMARY KEY, points bigint NOT NULL)"
            )
            cur.execute(
                f"CREATE TABLE {schema}.ledger (id bigserial PRIMARY KEY, account_id bigint "
                f"NOT NULL REFERENCES {schema}.accounts (id), amount int NOT NULL, "
                "idempotency_key text NOT NULL UNIQUE)"
            )
        balance_sql = f"SELECT id, points FROM {schema}.accounts WHERE id = ANY(%s)"
        ledger_sql = (
            f"SELECT account_id, COALESCE(SUM(amount), 0), COUNT(*) FROM {schema}.ledger "
            "WHERE account_id = ANY(%s) GROUP BY account_id"
        )
        variants = (
            ("SQL: SELECT ... FOR UPDATE (blocking), then UPDATE", False),
            ("SQL: atomic UPDATE points = points + 1", True),
        )
        for title, atomic in variants:
            for label, count in (("1 row", 1), (f"{spread} rows", spread)):
                ids = list(range(1, count + 1))
                with admin.cursor() as cur:
                    cur.execute(f"TRUNCATE {schema}.ledger, {schema}.accounts")
                    cur.execute(
                        f"INSERT INTO {schema}.accounts SELECT g, 0 FROM generate_series(1, %s) g",
                        (count,),
                    )
                targets = _targets(ids, credits)
                client = SqlCredits(dsn, schema, atomic)
                try:
                    result = _run(f"{title}, {label}", targets, client.credit)
                finally:
                    client.close()
                result.verdict = _verify(
                    dsn, balance_sql, ledger_sql, ids,
                    _expected(targets, dict.fromkeys(ids, 0)), len(targets),
                )  # fmt: skip
                results.append(result)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()
    return results
