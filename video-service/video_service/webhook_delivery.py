"""WebhookDeliverer: sends the pending deliveries of every replica's outbox, signed.

Each process runs one claim loop and at most `workers` deliveries at once (asyncio
tasks), claiming only as many as it has free slots. A claim is a short transaction: it
picks endpoints with due deliveries (oldest first), locks those endpoint rows
(`FOR NO KEY UPDATE SKIP LOCKED`, so replicas never claim for the same endpoint at the
same moment), counts what is already in flight for each, and leases at most
`per_endpoint` deliveries per endpoint: `attempts + 1`, a fresh `lease_token`, and
`next_attempt_at` moved to the end of the lease. No lock is held during the HTTP call.
When the call ends, the outcome is written if the lease is still ours. A process killed
mid-delivery leaves a lease that simply runs out: the row is due again and another
replica sends the same event (same `Webhook-Id`) — at least once.

Because an endpoint never has more than `per_endpoint` deliveries in flight across all
replicas, a slow receiver holds at most that many delivery slots; the other endpoints
(and companies) keep the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy import case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from media_common.periodic import Periodic
from media_common.timestamps import utc_iso
from video_service.webhook_models import WebhookDelivery as Delivery
from video_service.webhook_models import WebhookEndpoint, WebhookEvent
from video_service.webhook_secrets import SecretBox, SecretUnreadable
from video_service.webhook_sender import SendResult, WebhookSender
from video_service.webhook_signing import signature_header

logger = logging.getLogger(__name__)
# Inlined, not bound: the partial indexes on pending rows apply only when the planner sees
# the constant (asyncpg's prepared statements may be planned generically).
PENDING_STATUS = literal("pending", literal_execute=True)

FIRST_RETRY_SECONDS = 10.0
MAX_RETRY_SECONDS = 3600.0
RETRY_WINDOW = timedelta(hours=24)
_JITTER = random.SystemRandom()

DELIVERIES = Counter("video_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])


def retry_delay_seconds(attempts: int) -> float:
    """After the n-th failed attempt: 10 s · 2^(n-1), capped at an hour, with jitter that
    only shortens it (× 0.5..1), so the first retry comes within 10 s and replicas spread."""
    nominal = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** min(max(attempts - 1, 0), 20))
    return nominal * _JITTER.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: int
    lease_token: uuid.UUID
    attempts: int
    event_id: int
    url: str
    secret: str
    body: bytes


def event_body(row: WebhookEvent) -> bytes:
    payload = {
        "id": row.id,
        "type": row.type,
        "created_at": utc_iso(row.created_at),
        "data": row.data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class WebhookDeliverer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        box: SecretBox,
        sender: WebhookSender,
        *,
        workers: int = 8,
        per_endpoint: int = 2,
        poll_seconds: float = 1.0,
        lease_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.box = box
        self.sender = sender
        self.workers = workers
        self.per_endpoint = per_endpoint
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self._loop = Periodic("webhook-claims", self._claim_round, poll_seconds)
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Claim now (an event was committed, or a delivery slot came free)."""
        self._loop.wake()

    def start(self) -> None:
        self._loop.start()

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming; give deliveries in flight `timeout` seconds to finish (the
        others are retried by whoever finds their lease run out)."""
        await self._loop.stop()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)
        for task in set(self._in_flight):
            task.cancel()

    async def close(self) -> None:
        await self.stop()

    async def _claim_round(self) -> bool:
        free = self.workers - len(self._in_flight)
        if free <= 0:
            return False  # a delivery that ends wakes the loop
        claims = await self.claim(free)
        for claim in claims:
            task = asyncio.get_running_loop().create_task(
                self._work(claim), name=f"webhook-delivery-{claim.delivery_id}"
            )
            self._in_flight.add(task)
            task.add_done_callback(self._done)
        # deliveries claimed: there may be more, the next round starts at once
        return bool(claims)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._loop.wake()  # a slot is free: claim more

    async def _work(self, claim: Claim) -> None:
        try:
            await self.record(claim, await self.send(claim))
        except Exception:
            logger.exception("webhook delivery %s failed", claim.delivery_id)

    async def run_once(self) -> int:
        """Claim what is due and deliver it, one after the other (tests; no loop needed)."""
        claims = await self.claim(self.workers)
        for claim in claims:
            await self.record(claim, await self.send(claim))
        return len(claims)

    async def send(self, claim: Claim) -> SendResult:
        headers = {
            "Webhook-Id": str(claim.event_id),
            "Webhook-Signature": signature_header(claim.secret, int(self.clock()), claim.body),
        }
        return await self.sender.post(claim.url, claim.body, headers)

    async def claim(self, limit: int) -> list[Claim]:
        """Lease up to `limit` due deliveries, at most `per_endpoint` in flight each."""
        due = (Delivery.status == PENDING_STATUS, Delivery.next_attempt_at <= func.now())
        async with self.sessionmaker.begin() as session:
            saturated = (
                select(Delivery.endpoint_id)
                .where(Delivery.status == PENDING_STATUS, Delivery.lease_token.is_not(None))
                .where(Delivery.next_attempt_at > func.now())
                .group_by(Delivery.endpoint_id)
                .having(func.count() >= self.per_endpoint)
            )
            candidates = (
                await session.scalars(
                    select(Delivery.endpoint_id)
                    .where(*due, Delivery.endpoint_id.not_in(saturated))
                    .group_by(Delivery.endpoint_id)
                    .order_by(func.min(Delivery.next_attempt_at))
                    .limit(limit)
                )
            ).all()
            if not candidates:
                return []
            endpoints = {
                e.id: e
                for e in await session.scalars(
                    select(WebhookEndpoint)
                    .where(WebhookEndpoint.id.in_(candidates))
                    .with_for_update(skip_locked=True, key_share=True)
                )
            }
            claims: list[Claim] = []
            for endpoint_id in candidates:
                endpoint = endpoints.get(endpoint_id)
                if endpoint is None or len(claims) >= limit:
                    continue  # another replica is claiming for it right now
                claims += await self._lease(session, endpoint, limit - len(claims))
            return claims

    async def _lease(
        self, session: AsyncSession, endpoint: WebhookEndpoint, room: int
    ) -> list[Claim]:
        busy = (
            await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.endpoint_id == endpoint.id, Delivery.status == PENDING_STATUS)
                .where(Delivery.lease_token.is_not(None), Delivery.next_attempt_at > func.now())
            )
            or 0
        )
        take = min(self.per_endpoint - busy, room)
        if take <= 0:
            return []
        rows = (
            await session.execute(
                select(Delivery, WebhookEvent)
                .join(WebhookEvent, WebhookEvent.id == Delivery.event_id)
                .where(Delivery.endpoint_id == endpoint.id, Delivery.status == PENDING_STATUS)
                .where(Delivery.next_attempt_at <= func.now())
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(take)
                .with_for_update(of=Delivery, skip_locked=True)
            )
        ).all()
        if not rows:
            return []
        try:
            secret = self.box.open(endpoint.secret_ciphertext, endpoint.company_id)
        except SecretUnreadable as exc:
            logger.error("webhook %s: %s", endpoint.id, exc)
            for delivery, _ in rows:
                delivery.attempts += 1
                delivery.last_error = str(exc)
                delivery.next_attempt_at = func.now() + timedelta(seconds=MAX_RETRY_SECONDS)
            return []
        claims = []
        for delivery, webhook_event in rows:
            delivery.attempts += 1
            delivery.lease_token = uuid.uuid4()
            delivery.next_attempt_at = func.now() + self.lease
            claims.append(
                Claim(
                    delivery.id,
                    delivery.lease_token,
                    delivery.attempts,
                    webhook_event.id,
                    endpoint.url,
                    secret,
                    event_body(webhook_event),
                )
            )
        return claims

    async def record(self, claim: Claim, result: SendResult) -> None:
        """Write the outcome, unless the lease ran out and the row moved on meanwhile."""
        mine = (Delivery.id == claim.delivery_id, Delivery.lease_token == claim.lease_token)
        values: dict[str, object] = {
            "lease_token": None,
            "last_status_code": result.status_code,
            "last_error": result.error,
        }
        if result.ok:
            outcome = "delivered"
            values.update(status="delivered", delivered_at=func.now())
        else:
            outcome = "retry"
            give_up = Delivery.created_at <= func.now() - RETRY_WINDOW
            delay = timedelta(seconds=retry_delay_seconds(claim.attempts))
            values.update(
                status=case((give_up, "failed"), else_="pending"),
                next_attempt_at=func.now() + delay,
            )
            if result.error is None:
                values["last_error"] = f"answered {result.status_code}"
        async with self.sessionmaker.begin() as session:
            status = (
                await session.execute(
                    update(Delivery).where(*mine).values(**values).returning(Delivery.status)
                )
            ).scalar_one_or_none()
        if status == "failed":
            outcome = "failed"
            logger.warning("webhook delivery %s failed for good", claim.delivery_id)
        DELIVERIES.labels(outcome if status is not None else "lease_lost").inc()
