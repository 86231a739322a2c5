"""API models: strict input, explicit output."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Protocol, TypeAlias

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
)

from company_service.models import NAME_MAX_LENGTH, Company, PlanChange
from company_service.plans import HasPlan, Plan, effective_plan
from media_common.credentials import Email, NewPassword
from media_common.paging import Page
from media_common.text import text_rule
from media_common.timestamps import UtcTimestamp

# media_common's text rule; the 1..100 characters count after normalising and trimming.
CompanyName = Annotated[
    StrictStr,
    Field(max_length=4 * NAME_MAX_LENGTH, examples=["Acme Pictures"]),
    text_rule(NAME_MAX_LENGTH),
]
# user-service's rule for a user's name (checked here too, before anything is created).
PERSON_NAME_MAX_LENGTH = 100
PersonName = Annotated[
    StrictStr,
    Field(max_length=4 * PERSON_NAME_MAX_LENGTH, examples=["Ada Lovelace"]),
    text_rule(PERSON_NAME_MAX_LENGTH),
]


def _iso_string(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 date-time string with a UTC offset")
    return value


def _as_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc


ExpiresAt = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_string),
    AfterValidator(_as_utc),
    Field(
        description="ISO-8601 with a UTC offset, in the future; naive date-times are refused.",
        examples=["2030-01-31T23:59:59+00:00"],
    ),
]


Timestamp: TypeAlias = UtcTimestamp  # answered as "2030-01-31T23:59:59+00:00"


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FounderCreate(Input):
    """The company's first user, its admin (user-service's rules for each field)."""

    email: Email
    password: NewPassword
    name: PersonName | None = None


class CompanyCreate(Input):
    name: CompanyName
    admin: FounderCreate


class CompanyUpdate(Input):
    name: CompanyName


class PaidPlanChange(Input):
    plan: Literal["paid"]
    expires_at: ExpiresAt


class FreePlanChange(Input):
    plan: Literal["free"]
    expires_at: None = Field(default=None, description="Must be absent or null.")


PlanChangeRequest = Annotated[PaidPlanChange | FreePlanChange, Field(discriminator="plan")]


class CompanyFields(HasPlan, Protocol):
    """What CompanyRead reads of a company: the ORM row or a `Row` of the read path."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...


class CompanyRead(BaseModel):
    id: int
    name: str
    plan: Plan
    plan_expires_at: Timestamp | None
    effective_plan: Plan = Field(
        description="`paid` only while plan is paid and plan_expires_at is in the future."
    )
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, company: CompanyFields, now: datetime) -> CompanyRead:
        return cls(
            id=company.id,
            name=company.name,
            plan=Plan(company.plan),
            plan_expires_at=company.plan_expires_at,
            effective_plan=effective_plan(company, now),
            created_at=company.created_at,
            updated_at=company.updated_at,
        )


class AdminRead(BaseModel):
    """The founding admin, as user-service answered it."""

    id: int
    email: str
    name: str | None
    company_id: int
    role: Literal["admin"]
    points: int
    created_at: Timestamp
    updated_at: Timestamp


class CompanyCreated(CompanyRead):
    admin: AdminRead


class InternalCompanyRead(BaseModel):
    """What other services need to know about a company, deactivated ones included."""

    id: int
    name: str
    status: Literal["pending", "active", "inactive", "abandoned"]
    plan: Plan
    plan_expires_at: Timestamp | None
    effective_plan: Plan

    @classmethod
    def of(cls, company: Company, now: datetime) -> InternalCompanyRead:
        return cls(
            id=company.id,
            name=company.name,
            status=company.status,  # type: ignore[arg-type]  # guarded by a CHECK
            plan=Plan(company.plan),
            plan_expires_at=company.plan_expires_at,
            effective_plan=effective_plan(company, now),
        )


class PlanChangeRead(BaseModel):
    id: int
    from_plan: Plan
    to_plan: Plan
    previous_expires_at: Timestamp | None
    expires_at: Timestamp | None
    changed_by: int | None = Field(description="The admin's user id; null for the sweeper.")
    reason: str = Field(examples=["changed_by_admin", "plan_expired"])
    created_at: Timestamp

    @classmethod
    def of(cls, change: PlanChange) -> PlanChangeRead:
        return cls(
            id=change.id,
            from_plan=Plan(change.from_plan),
            to_plan=Plan(change.to_plan),
            previous_expires_at=change.previous_expires_at,
            expires_at=change.expires_at,
            changed_by=change.changed_by,
            reason=change.reason,
            created_at=change.created_at,
        )


class PlanChangePage(Page[PlanChangeRead]):
    pass
