"""Plan rules: what a company's plan is worth at a given moment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Plan(StrEnum):
    FREE = "free"
    PAID = "paid"


class PlanChangeReason(StrEnum):
    CHANGED_BY_ADMIN = "changed_by_admin"
    PLAN_EXPIRED = "plan_expired"


class HasPlan(Protocol):
    """A company as the plan rules read it: the ORM row or a `Row` of the read path."""

    @property
    def plan(self) -> str: ...

    @property
    def plan_expires_at(self) -> datetime | None: ...


def effective_plan(company: HasPlan, now: datetime) -> Plan:
    """Paid only while the stored plan is paid and its expiry lies ahead of `now`.

    Computed on every read, so an expired plan is never honoured even before the sweeper
    has persisted the downgrade.
    """
    if company.plan == Plan.PAID and company.plan_expires_at is not None:
        return Plan.PAID if company.plan_expires_at > now else Plan.FREE
    return Plan.FREE
