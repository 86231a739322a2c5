"""The point ledger: credits (internal, idempotent) and a user's history.

`credit_points` runs in its own short transaction, not the request's: it locks the user's
row with `FOR UPDATE NOWAIT` so a busy row answers 409 LOCK_CONFLICT at once instead of
queueing connections, and it commits before answering so a 201 always means credited.
The balance and the ledger change in that one transaction: the balance always equals
the sum of the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg2.errors import LockNotAvailable
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from media_common.errors import AppError, NotFound, ValidationFailed
from user_service.models import PointEntry, User
from user_service.schemas import PointCreditRequest


class LockConflict(AppError):
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


_LOCK_USER = text(
    "SELECT points FROM identity.users WHERE id = :user_id AND deleted_at IS NULL FOR UPDATE NOWAIT"
)
_FIND_CREDIT = text(
    "SELECT user_id, amount, balance_after, created_at FROM identity.point_ledger "
    "WHERE idempotency_key = :key"
)
# The ledger row and the balance in one statement; nothing happens when the key already
# exists (a concurrent credit of another user with the same key won the race).
_CREDIT = text(
    "WITH entry AS ("
    " INSERT INTO identity.point_ledger"
    " (user_id, amount, reason, reference, idempotency_key, balance_after)"
    " VALUES (:user_id, :amount, :reason, :reference, :key, :balance)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
    " RETURNING created_at)"
    " UPDATE identity.users SET points = :balance FROM entry WHERE id = :user_id"
    " RETURNING entry.created_at"
)


def credit_points(
    engine: Engine, user_id: int, key: str, credit: PointCreditRequest, lock_timeout_ms: int
) -> Credit:
    """Credit `credit.amount` once per idempotency key; a replay returns the first result."""
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'"))
            balance = conn.execute(_LOCK_USER, {"user_id": user_id}).scalar()
            if balance is None:
                raise NotFound("User not found")
            previous = _replay(conn, user_id, key, credit.amount)
            if previous is not None:
                return previous
            new_balance = balance + credit.amount
            created_at = conn.execute(
                _CREDIT,
                {
                    "user_id": user_id,
                    "amount": credit.amount,
                    "reason": credit.reason,
                    "reference": credit.reference,
                    "key": key,
                    "balance": new_balance,
                },
            ).scalar()
            if created_at is not None:
                return Credit(user_id, credit.amount, new_balance, key, created_at, created=True)
    except OperationalError as exc:
        if isinstance(exc.orig, LockNotAvailable):
            raise LockConflict() from exc
        raise
    # Lost the race for the key to a credit that committed after our lookup.
    with engine.connect() as conn:
        previous = _replay(conn, user_id, key, credit.amount)
    if previous is None:  # pragma: no cover - the conflicting row is committed by now
        raise LockConflict()
    return previous


def _replay(conn: Connection, user_id: int, key: str, amount: int) -> Credit | None:
    row = conn.execute(_FIND_CREDIT, {"key": key}).first()
    if row is None:
        return None
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
