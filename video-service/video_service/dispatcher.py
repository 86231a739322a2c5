"""OutboxDispatcher: delivers point credits from `video.outbox` to user-service.

One background task per process (`Periodic`). Each round takes up to 50 due rows in its own short
transaction with `FOR UPDATE SKIP LOCKED` and keeps the row locks while it calls
user-service (2 s timeout, no HTTP-level retries: the outbox is the retry). Another
replica skips the locked rows and moves on with the rest; a crash releases the locks and
the rows are simply taken again, and the Idempotency-Key makes that replay harmless.

The oldest row goes alone first, to the single credit endpoint: a probe, so that while
user-service is down a round costs one attempt, not fifty. The rest go as one call per
user to the batch endpoint, whose per-credit outcomes are those of the single endpoint:
one round trip for a hot user's burst of views instead of one each, which is what lets
the credits keep up while the API's event loop is busy streaming. A batch answered with
anything but 200 (a user-service that predates the endpoint, in a rolling update) is
delivered one by one instead. A row put back for a retry due before the next poll (a
brief 409 LOCK_CONFLICT on a hot user's balance) wakes the loop when it falls due,
rather than waiting out the poll. Delivered rows stay in the table as an audit trail.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
from prometheus_client import Counter, Gauge
from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from media_common.internal_http import InternalClient
from media_common.models import utcnow
from media_common.periodic import Periodic
from media_common.request_id import HEADER as REQUEST_ID_HEADER
from video_service.models import OutboxEntry

logger = logging.getLogger(__name__)
# Inlined, not bound: the partial indexes on pending rows apply only when the planner sees
# the constant (asyncpg's prepared statements may be planned generically).
PENDING_STATUS = literal("pending", literal_execute=True)

BATCH_SIZE = 50
BACKOFF_BASE = 0.05
BACKOFF_CAP = 30.0
_JITTER = random.SystemRandom()

PENDING = Gauge("video_outbox_pending", "Point credits waiting for delivery")
DELIVERIES = Counter("video_outbox_deliveries_total", "Delivery attempts", ["outcome"])


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # delivered | retry | dead
    error: str | None = None
    peer_down: bool = False


def backoff_seconds(attempts: int) -> float:
    """Exponential with a cap and ±50 % jitter, so replicas do not retry in lockstep."""
    delay: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** min(attempts, 32))
    jitter: float = _JITTER.uniform(0.5, 1.5)
    return delay * jitter


def classify(status_code: int) -> Outcome:
    if status_code in (200, 201):
        return Outcome("delivered")
    if status_code in (409, 429) or status_code >= 500:
        return Outcome("retry", f"user-service answered {status_code}")
    # 404: the user is gone; 401/422 and other 4xx: retrying cannot help.
    return Outcome("dead", f"user-service answered {status_code}")


class OutboxDispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: InternalClient,
        *,
        poll_seconds: float = 1.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.client = client
        self.poll_seconds = poll_seconds
        self._loop = Periodic("outbox-dispatcher", self._round, poll_seconds)

    def wake(self) -> None:
        """Deliver now (a committed outbox row is waiting) rather than at the next poll."""
        self._loop.wake()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def close(self) -> None:
        await self.client.close()

    async def _round(self) -> bool:
        # a full batch: more may be waiting, the next round starts at once
        return await self.run_once() == BATCH_SIZE

    async def run_once(self) -> int:
        """One round: deliver what is due. Returns how many rows it handled (a full batch
        means more may be waiting: the loop goes on without sleeping)."""
        async with self.sessionmaker.begin() as session:
            rows = (
                await session.scalars(
                    select(OutboxEntry)
                    .where(
                        OutboxEntry.status == PENDING_STATUS,
                        OutboxEntry.next_attempt_at <= func.now(),
                    )
                    .order_by(OutboxEntry.id)
                    .limit(BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            handled = await self._deliver_rows(rows)
            pending = await session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.status == PENDING_STATUS)
            )
            PENDING.set(pending or 0)
        return handled

    async def _deliver_rows(self, rows: Sequence[OutboxEntry]) -> int:
        """The probe, then a batch per user; stops at the first call that found user-service
        unreachable (the rows after it stay due for the next round). Returns how many rows
        were tried."""
        handled = 0
        groups = [list(rows[:1]), *_by_user(rows[1:])] if rows else []
        for group in groups:
            if len(group) == 1:
                outcomes = [await self._deliver(group[0])]
            else:
                outcomes = await self._deliver_batch(group)
            for row, outcome in zip(group, outcomes, strict=True):
                self._apply(row, outcome)
                if outcome.status == "retry" and not outcome.peer_down:
                    self._loop.wake_after((row.next_attempt_at - utcnow()).total_seconds())
            handled += len(group)
            if any(outcome.peer_down for outcome in outcomes):
                break
        return handled

    async def _deliver_batch(self, rows: list[OutboxEntry]) -> list[Outcome]:
        """Credits of one user in one call; one outcome per row."""
        body = {
            "credits": [
                {
                    "idempotency_key": row.idempotency_key,
                    "amount": row.amount,
                    "reason": row.reason,
                    "reference": row.reference,
                }
                for row in rows
            ]
        }
        try:
            response = await self.client.post(
                f"/internal/v1/users/{rows[0].user_id}/points/batch", json=body
            )
        except httpx.HTTPError as exc:
            down = Outcome("retry", f"user-service unreachable: {type(exc).__name__}", True)
            return [down] * len(rows)
        if response.status_code != 200:
            return [await self._deliver(row) for row in rows]
        status = {str(r["idempotency_key"]): int(r["status"]) for r in response.json()["results"]}
        return [classify(status.get(row.idempotency_key, 503)) for row in rows]

    async def _deliver(self, row: OutboxEntry) -> Outcome:
        try:
            response = await self.client.post(
                f"/internal/v1/users/{row.user_id}/points",
                headers=_headers(row),
                json={"amount": row.amount, "reason": row.reason, "reference": row.reference},
            )
        except httpx.HTTPError as exc:
            return Outcome("retry", f"user-service unreachable: {type(exc).__name__}", True)
        return classify(response.status_code)

    @staticmethod
    def _apply(row: OutboxEntry, outcome: Outcome) -> None:
        DELIVERIES.labels(outcome.status).inc()
        now = utcnow()
        row.last_error = outcome.error
        if outcome.status == "delivered":
            row.status, row.delivered_at = "delivered", now
            return
        row.attempts += 1
        if outcome.status == "dead":
            row.status = "dead"
            logger.error("point credit %s given up: %s", row.idempotency_key, outcome.error)
            return
        row.next_attempt_at = now + timedelta(seconds=backoff_seconds(row.attempts))
        logger.warning(
            "point credit %s will be retried (attempt %s): %s",
            row.idempotency_key,
            row.attempts,
            outcome.error,
        )


def _by_user(rows: Sequence[OutboxEntry]) -> list[list[OutboxEntry]]:
    """The rows grouped by user, each group in the rows' order (oldest first)."""
    groups: dict[int, list[OutboxEntry]] = {}
    for row in rows:
        groups.setdefault(row.user_id, []).append(row)
    return list(groups.values())


def _headers(row: OutboxEntry) -> dict[str, str]:
    """The credit's key, and the id of the request that earned it (for tracing the credit
    from the stream to the ledger in the logs of both services)."""
    headers = {"Idempotency-Key": row.idempotency_key}
    if row.request_id:
        headers[REQUEST_ID_HEADER] = row.request_id
    return headers
