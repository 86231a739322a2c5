"""The plan sweeper: persists the downgrade of paid plans whose expiry has passed.

`effective_plan` already refuses an expired plan on every read; the sweeper makes the
stored plan agree and records each downgrade in the plan history. Replicas all run it;
a transaction-scoped advisory lock lets one of them sweep at a time, and the others skip
that round instead of waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from company_service.founding import Founders, sweep_abandoned_foundings
from company_service.models import Company, PlanChange
from company_service.plans import Plan, PlanChangeReason
from media_common.db import Database
from media_common.models import utcnow
from media_common.periodic import Periodic

logger = logging.getLogger(__name__)

SWEEP_LOCK = "company:plan-sweeper"
BATCH_SIZE = 1000
DOWNGRADES = Counter("company_plan_downgrades_total", "Expired paid plans set back to free")


async def sweep_expired_plans(
    session: AsyncSession, now: datetime, *, batch_size: int = BATCH_SIZE
) -> int:
    """Downgrade up to `batch_size` paid plans expired at `now`; return how many.

    Returns 0 at once when another sweeper holds the lock. The caller commits, which also
    releases the lock.
    """
    if not await session.scalar(select(func.pg_try_advisory_xact_lock(func.hashtext(SWEEP_LOCK)))):
        return 0
    # SKIP LOCKED: a row an admin is changing right now is left for the next round.
    expired = (
        await session.execute(
            select(Company.id, Company.plan_expires_at)
            .where(Company.plan == Plan.PAID, Company.plan_expires_at <= now)
            .order_by(Company.plan_expires_at, Company.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not expired:
        return 0
    await session.execute(
        update(Company)
        .where(Company.id.in_([row.id for row in expired]))
        .values(plan=Plan.FREE, plan_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        insert(PlanChange),
        [
            {
                "company_id": row.id,
                "from_plan": Plan.PAID,
                "to_plan": Plan.FREE,
                "previous_expires_at": row.plan_expires_at,
                "expires_at": None,
                "changed_by": None,
                "reason": PlanChangeReason.PLAN_EXPIRED,
                "created_at": now,
            }
            for row in expired
        ],
    )
    return len(expired)


class PlanSweeper:
    """Runs `sweep_expired_plans` every `interval` seconds (a background task)."""

    task_name = "plan-sweeper"

    def __init__(
        self, db: Database, interval: float, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._db = db
        self._clock = clock
        # a full batch: more are waiting, the next round starts at once
        self._loop = Periodic(self.task_name, self._round, interval)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _round(self) -> bool:
        return await self.run_once() >= BATCH_SIZE

    async def run_once(self) -> int:
        async with self._db.sessionmaker() as session:
            count = await sweep_expired_plans(session, self._clock())
            await session.commit()
        if count:
            DOWNGRADES.inc(count)
            logger.info("downgraded expired paid plans", extra={"downgraded": count})
        return count


class FoundingSweeper(PlanSweeper):
    """Runs `founding.sweep_abandoned_foundings` every `interval` seconds (same loop)."""

    task_name = "founding-sweeper"

    def __init__(
        self,
        db: Database,
        founders: Founders,
        interval: float,
        grace_seconds: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(db, interval, clock)
        self._founders = founders
        self._grace = grace_seconds

    async def run_once(self) -> int:
        count = await sweep_abandoned_foundings(
            self._db, self._founders, self._clock(), self._grace
        )
        if count:
            logger.info("removed abandoned foundings", extra={"removed": count})
        return count
