"""Company rules: create, read, rename, change plan, deactivate. No HTTP here.

Functions flush, never commit: the request's session dependency commits once the route
returned, before the response is sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from company_service.models import NAME_UNIQUE_INDEX, Company, PlanChange
from company_service.plans import Plan, PlanChangeReason
from media_common.db import Database, Query, Reader, Row, violated_constraint
from media_common.errors import Conflict, NotFound, ValidationFailed
from media_common.paging import INT64_MAX
from media_common.text import unique_key

PENDING, ACTIVE, INACTIVE, ABANDONED = "pending", "active", "inactive", "abandoned"


async def create_company(
    session: AsyncSession, name: str, now: datetime, *, status: str = ACTIVE
) -> Company:
    company = Company(
        name=name,
        name_key=unique_key(name),
        plan=Plan.FREE,
        status=status,
        created_at=now,
        updated_at=now,
    )
    session.add(company)
    await _flush_unique_name(session, name)
    return company


async def inactive_company_ids(db: Database) -> list[int]:
    """Every deactivated company (the access feed: their users' tokens are refused)."""
    async with db.read_sessionmaker() as session:
        return list(await session.scalars(select(Company.id).where(Company.status == INACTIVE)))


async def find_company(session: AsyncSession, company_id: int) -> Company | None:
    """Any company, deactivated ones included (for the internal API)."""
    if not 1 <= company_id <= INT64_MAX:
        return None
    return await session.get(Company, company_id)


_ACTIVE_COMPANY = Query(
    select(*Company.__table__.c).where(
        Company.id == bindparam("company_id"), Company.status == ACTIVE
    )
)


async def read_active_company(reader: Reader, company_id: int) -> Row:
    """The active company as a row (the read path), or NotFound."""
    if not 1 <= company_id <= INT64_MAX:
        raise NotFound("Company not found")
    company = await reader.one(_ACTIVE_COMPANY, company_id=company_id)
    if company is None:
        raise NotFound("Company not found")
    return company


async def get_active_company(
    session: AsyncSession, company_id: int, *, for_update: bool = False
) -> Company:
    """The active company, or NotFound: a deactivated company is gone for its users."""
    if not 1 <= company_id <= INT64_MAX:
        raise NotFound("Company not found")
    query = select(Company).where(Company.id == company_id, Company.status == ACTIVE)
    if for_update:
        query = query.with_for_update()
    company = (await session.scalars(query)).one_or_none()
    if company is None:
        raise NotFound("Company not found")
    return company


async def rename_company(
    session: AsyncSession, company: Company, name: str, now: datetime
) -> Company:
    if company.name != name:
        company.name = name
        company.name_key = unique_key(name)
        company.updated_at = now
        await _flush_unique_name(session, name)
    return company


async def change_plan(
    session: AsyncSession,
    company: Company,
    plan: Plan,
    expires_at: datetime | None,
    *,
    changed_by: int,
    now: datetime,
) -> Company:
    """Set the plan (a paid plan needs an expiry in the future) and record the change."""
    if plan == Plan.PAID:
        if expires_at is None or expires_at <= now:
            raise ValidationFailed(
                "expires_at must be in the future",
                details=[
                    {
                        "loc": ["body", "expires_at"],
                        "msg": "must be in the future",
                        "type": "value_error",
                    }
                ],
            )
    else:
        expires_at = None
    if company.plan == plan and company.plan_expires_at == expires_at:
        return company  # nothing changes, nothing to record
    session.add(
        PlanChange(
            company_id=company.id,
            from_plan=company.plan,
            to_plan=plan,
            previous_expires_at=company.plan_expires_at,
            expires_at=expires_at,
            changed_by=changed_by,
            reason=PlanChangeReason.CHANGED_BY_ADMIN,
            created_at=now,
        )
    )
    company.plan = plan
    company.plan_expires_at = expires_at
    company.updated_at = now
    await session.flush()
    return company


async def deactivate_company(session: AsyncSession, company: Company, now: datetime) -> None:
    """Soft delete: the row stays (history, internal lookups), its users are locked out."""
    company.status = INACTIVE
    company.deactivated_at = now
    company.updated_at = now
    await session.flush()


async def list_plan_history(
    session: AsyncSession, company_id: int, *, limit: int, offset: int
) -> tuple[list[PlanChange], int]:
    """A page of the company's plan changes, newest first, and their total."""
    total = await session.scalar(
        select(func.count()).select_from(PlanChange).where(PlanChange.company_id == company_id)
    )
    rows = await session.scalars(
        select(PlanChange)
        .where(PlanChange.company_id == company_id)
        .order_by(PlanChange.created_at.desc(), PlanChange.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def _flush_unique_name(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == NAME_UNIQUE_INDEX:
            raise Conflict(
                "A company with this name already exists", details={"name": name}
            ) from exc
        raise
