"""The point ledger: credits (internal, idempotent) and a user's history.

`credit_points` is one short transaction of its own, not the request's. It is sent to
PostgreSQL as a single query string on an autocommit connection, which PostgreSQL runs as
one implicit transaction: `SET LOCAL lock_timeout`, then one statement that takes the
user's row with `FOR UPDATE NOWAIT`, looks the idempotency key up, inserts the ledger row
and moves the balance. The row lock is therefore held only while PostgreSQL executes that
statement, never across a client round trip, which keeps a hot user's credits fast; a busy
row answers 409 LOCK_CONFLICT at once instead of queueing connections. The balance and
the ledger change together, so the balance always equals the sum of the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg2.errors import LockNotAvailable
from sqlalchemy import Connection, Engine, Row, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from media_common.errors import AppError, NotFound, ValidationFailed
from user_service.models import PointEntry, User
from user_service.schemas import PointCreditRequest


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
SET LOCAL lock_timeout = :lock_timeout;
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
    SELECT id, :amount, :reason, :reference, :key, points + :amount FROM target
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


def credit_points(
    engine: Engine, user_id: int, key: str, credit: PointCreditRequest, lock_timeout_ms: int
) -> Credit:
    """Credit `credit.amount` once per idempotency key; a replay returns the first result.

    `engine` must hand out autocommit connections (the statement is its own transaction).
    """
    params = {
        "lock_timeout": f"{lock_timeout_ms}ms",
        "user_id": user_id,
        "key": key,
        "amount": credit.amount,
        "reason": credit.reason,
        "reference": credit.reference,
    }
    try:
        with engine.connect() as conn:
            outcomes = {row.outcome: row for row in conn.execute(_CREDIT, params)}
    except OperationalError as exc:
        if isinstance(exc.orig, LockNotAvailable):
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
    with engine.connect() as conn:
        return _find_replay(conn, user_id, key, credit.amount)


def _find_replay(conn: Connection, user_id: int, key: str, amount: int) -> Credit:
    row = conn.execute(_FIND_CREDIT, {"key": key}).first()
    if row is None:  # pragma: no cover - the conflicting row is committed by now
        raise LockConflictError()
    return _replay(row, user_id, key, amount)


def _replay(row: Row[tuple[object, ...]], user_id: int, key: str, amount: int) -> Credit:
    if row.user_id != user_id or row.amount != amount:
        raise ValidationFailed("This Idempotency-Key was already used for another user or amount")
    return Credit(user_id, amount, row.balance_after, key, row.created_at, created=False)


def point_history(
    session: Session, user: User, limit: int, offset: int
) -> tuple[list[PointEntry], int]:
    mine = PointEntry.user_id == user.id
    total = session.scalar(select(func.count()).select_from(PointEntry).where(mine)) or 0
    page = (
        select(PointEntry)
        .where(mine)
        .order_by(PointEntry.created_at.desc(), PointEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(page)), total
