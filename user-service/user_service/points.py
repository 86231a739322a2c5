"""The point ledger: credits (internal, idempotent, one or a batch of one user's) and a
user's history.

`credit_points` is one short transaction of its own, not the request's: a single statement
on an autocommit connection of the ledger's own pool (`Ledger`), which PostgreSQL runs as
one implicit transaction. It takes the user's row with `FOR UPDATE NOWAIT`, looks the
idempotency key up, inserts the ledger row and moves the balance. The row lock is
therefore held only while PostgreSQL executes that statement, never across a client round
trip, which keeps a hot user's credits fast; a busy row answers 409 LOCK_CONFLICT at once
instead of queueing connections. The ledger's connections carry a short `lock_timeout`,
which bounds the other waits (a key inserted by an unfinished credit). The balance and
the ledger change together, so the balance always equals the sum of the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry

from media_common.db import Database, sqlstate
from media_common.errors import AppError, NotFound, ValidationFailed
from media_common.paging import AnyRow, PageParams, fetch_page
from user_service.models import PointEntry
from user_service.schemas import CreditStatus, PointCreditItem, PointCreditRequest
from user_service.settings import Settings

LOCK_NOT_AVAILABLE = "55P03"  # NOWAIT on a locked row, or lock_timeout expired


class LockConflictError(AppError):
    status_code, code, message = 409, "LOCK_CONFLICT", "The user's points are busy; retry"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


@dataclass(frozen=True, slots=True)
class Credit:
    user_id: int
    amount: int
    balance: int
    idempotency_key: str
    created_at: datetime
    created: bool  # False: a replay of an earlier credit with the same key


# Answers one row per outcome: `credited` (the new ledger row), `replayed` (the key's
# earlier row) and/or `missing` (no such live user). No row at all: the key was inserted
# by a concurrent credit after this statement's snapshot (ON CONFLICT DO NOTHING).
_CREDIT = text(
    """
WITH target AS (
    SELECT id, points FROM identity.users
    WHERE id = :user_id AND deleted_at IS NULL
    FOR UPDATE NOWAIT
), previous AS (
    SELECT user_id, amount, balance_after, created_at FROM identity.point_ledger
    WHERE idempotency_key = :key
), entry AS (
    INSERT INTO identity.point_ledger
        (user_id, amount, reason, reference, idempotency_key, balance_after)
    SELECT id, amount, :reason, :reference, :key, points + amount
    FROM target, CAST(:amount AS integer) AS amount
    WHERE NOT EXISTS (SELECT FROM previous)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING user_id, amount, balance_after, created_at
), balance AS (
    UPDATE identity.users SET points = entry.balance_after
    FROM entry WHERE users.id = entry.user_id
)
SELECT 'credited' AS outcome, * FROM entry
UNION ALL
SELECT 'replayed', * FROM previous
UNION ALL
SELECT 'missing', NULL, NULL, NULL, NULL WHERE NOT EXISTS (SELECT FROM target)
"""
)
_FIND_CREDIT = text(
    "SELECT user_id, amount, balance_after, created_at FROM identity.point_ledger "
    "WHERE idempotency_key = :key"
)


class Ledger:
    """The credits' connections: a pool of their own, in autocommit (a credit is one
    statement, its own implicit transaction), each opened with `lock_timeout` set, so a
    credit costs one round trip."""

    def __init__(self, settings: Settings, pool_size: int) -> None:
        self._db = Database(settings, pool_size=pool_size)
        server_settings = {
            "application_name": f"{settings.service_name}-ledger",
            "lock_timeout": f"{settings.points_lock_timeout_ms}ms",
        }

        @event.listens_for(self._db.engine.sync_engine, "do_connect")
        def _ledger_settings(
            _: Dialect, __: ConnectionPoolEntry, ___: tuple[Any, ...], params: dict[str, Any]
        ) -> None:
            params["server_settings"] = {**params.get("server_settings", {}), **server_settings}

        # The isolation level of asyncpg connections is kept by the driver: switching it
        # per checkout costs no round trip.
        self.engine: AsyncEngine = self._db.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def dispose(self) -> None:
        await self._db.dispose()


async def credit_points(
    engine: AsyncEngine, user_id: int, key: str, credit: PointCreditRequest
) -> Credit:
    """Credit `credit.amount` once per idempotency key; a replay returns the first result.

    `engine` is a `Ledger`'s (autocommit connections with a `lock_timeout`).
    """
    params = {
        "user_id": user_id,
        "key": key,
        "amount": credit.amount,
        "reason": credit.reason,
        "reference": credit.reference,
    }
    try:
        async with engine.connect() as conn:
            outcomes = {row.outcome: row for row in await conn.execute(_CREDIT, params)}
    except DBAPIError as exc:
        if sqlstate(exc) == LOCK_NOT_AVAILABLE:
            raise LockConflictError() from exc
        raise
    if "missing" in outcomes:
        raise NotFound("User not found")
    if "credited" in outcomes:
        row = outcomes["credited"]
        return Credit(user_id, credit.amount, row.balance_after, key, row.created_at, created=True)
    if "replayed" in outcomes:
        return _replay(outcomes["replayed"], user_id, key, credit.amount)
    # Lost the race for the key to a credit that committed after our snapshot.
    async with engine.connect() as conn:
        return await _find_replay(conn, user_id, key, credit.amount)


async def credit_batch(
    engine: AsyncEngine, user_id: int, credits: Sequence[PointCreditItem]
) -> list[tuple[str, CreditStatus, int | None]]:
    """Each credit as `credit_points` would make it, in order, each its own statement: one
    outcome per credit, `(key, status, balance)` with the status the single endpoint would
    answer (201, 200, 404, 409, 422). A busy row fails that credit only; the caller retries
    it alone."""
    outcomes: list[tuple[str, CreditStatus, int | None]] = []
    for item in credits:
        key = item.idempotency_key
        try:
            result = await credit_points(engine, user_id, key, item)
        except NotFound:
            outcomes.append((key, 404, None))
        except LockConflictError:
            outcomes.append((key, 409, None))
        except ValidationFailed:
            outcomes.append((key, 422, None))
        else:
            outcomes.append((key, 201 if result.created else 200, result.balance))
    return outcomes


async def _find_replay(conn: AsyncConnection, user_id: int, key: str, amount: int) -> Credit:
    row = (await conn.execute(_FIND_CREDIT, {"key": key})).first()
    if row is None:  # pragma: no cover - the conflicting row is committed by now
        raise LockConflictError()
    return _replay(row, user_id, key, amount)


def _replay(row: AnyRow, user_id: int, key: str, amount: int) -> Credit:
    if row.user_id != user_id or row.amount != amount:
        raise ValidationFailed("This Idempotency-Key was already used for another user or amount")
    return Credit(user_id, amount, row.balance_after, key, row.created_at, created=False)


async def point_history(
    session: AsyncSession, user_id: int, page: PageParams
) -> tuple[list[AnyRow], int]:
    """A page of the user's ledger (the columns of schemas.PointEntryRead), newest first,
    and how many entries there are."""
    query = (
        select(PointEntry.amount, PointEntry.reason, PointEntry.reference, PointEntry.created_at)
        .where(PointEntry.user_id == user_id)
        .order_by(PointEntry.created_at.desc(), PointEntry.id.desc())
    )
    return await fetch_page(session, query, page)
