"""A company and its first admin, all or nothing across company-service and user-service.

1. The company row is inserted as `pending` and committed at once: its name is held
   (the unique index covers pending companies) while user-service works, and a pending
   company is never usable (user-service refuses logins to any company that is not
   `active`; the public API reads it as not found).
2. user-service creates the founding admin (`PUT /internal/v1/users/founders/{id}`,
   idempotent, so the client may retry it).
3. The row turns `active` — only if it is still pending (row-locked: it cannot race the
   sweeper, which first turns a row it gives up `abandoned`).

Any refusal (409 email taken, 422) removes the row; user-service being down (503) makes
the company ask user-service to cancel the founder and removes the row, or, when even that
fails, leaves it pending. A process killed between the steps leaves a pending row too.
The founding sweeper settles every pending row older than `FOUNDING_GRACE_SECONDS`: it
asks user-service to cancel the founding (which deletes a founder already created and
refuses one still to come, so a late step 2 cannot revive it), then deletes the row, which
frees the name; the cancelled founder frees the email. These steps run in short
transactions of their own, since a call to another service sits between them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, delete, or_, select, update

from company_service.companies import ABANDONED, PENDING, create_company
from company_service.models import Company
from company_service.schemas import FounderCreate
from media_common.db import Database
from media_common.errors import Conflict, ServiceUnavailable, ValidationFailed
from media_common.internal_http import InternalClient

logger = logging.getLogger(__name__)
SWEEP_BATCH = 100


class Founders:
    """user-service's side of a founding: create or cancel a company's first admin."""

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def create(self, company_id: int, founder: FounderCreate) -> dict[str, Any]:
        try:
            response = await self.client.request(
                "PUT",
                f"/internal/v1/users/founders/{company_id}",
                json=founder.model_dump(),
            )
        except httpx.HTTPError as exc:
            logger.warning("user-service unreachable: %s", exc)
            raise ServiceUnavailable("user-service is unavailable") from exc
        body = _json(response)
        if response.status_code in (200, 201) and isinstance(body, dict):
            return body
        if response.status_code == 409:
            raise Conflict(body.get("message", "Conflict"), details=body.get("details"))
        if response.status_code == 422:
            raise ValidationFailed(body.get("message"), details=body.get("details"))
        logger.warning("user-service answered %s to a founding", response.status_code)
        raise ServiceUnavailable("user-service is unavailable")

    async def cancel(self, company_id: int) -> None:
        try:
            response = await self.client.request(
                "DELETE", f"/internal/v1/users/founders/{company_id}"
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("user-service is unavailable") from exc
        if response.status_code != 204:
            raise ServiceUnavailable("user-service is unavailable")

    async def close(self) -> None:
        await self.client.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def found_company(
    db: Database, founders: Founders, name: str, founder: FounderCreate, now: datetime
) -> tuple[Company, dict[str, Any]]:
    """The new active company and its admin (user-service's user), or an error and nothing."""
    async with db.sessionmaker() as session:
        company = await create_company(session, name, now, status=PENDING)
        await session.commit()
    try:
        admin = await founders.create(company.id, founder)
    except (Conflict, ValidationFailed):
        await _remove(db, company.id)  # user-service refused: it created nothing
        raise
    except ServiceUnavailable:
        await abandon(db, founders, company.id)
        raise
    async with db.sessionmaker() as session:
        activated = (
            await session.scalars(
                update(Company)
                .where(Company.id == company.id, Company.status == PENDING)
                .values(status="active")
                .returning(Company.id)
            )
        ).first()
        await session.commit()
    if not activated:  # the sweeper settled it meanwhile (a very slow user-service)
        await abandon(db, founders, company.id)
        raise ServiceUnavailable("The company could not be created in time; try again")
    company.status = "active"
    return company, admin


async def abandon(db: Database, founders: Founders, company_id: int) -> bool:
    """Give the founding up: the row turns `abandoned` (so a late activation fails and the
    name is free), user-service cancels the founder, the row goes. False when user-service
    cannot be reached (the abandoned row stays for the sweeper)."""
    async with db.sessionmaker() as session:
        await session.execute(
            update(Company)
            .where(Company.id == company_id, Company.status == PENDING)
            .values(status=ABANDONED)
        )
        await session.commit()
    try:
        await founders.cancel(company_id)
    except ServiceUnavailable:
        logger.warning("founding of company %s left for the sweeper", company_id)
        return False
    await _remove(db, company_id, (PENDING, ABANDONED))
    return True


async def _remove(db: Database, company_id: int, statuses: tuple[str, ...] = (PENDING,)) -> None:
    async with db.sessionmaker() as session:
        await session.execute(
            delete(Company).where(Company.id == company_id, Company.status.in_(statuses))
        )
        await session.commit()


async def sweep_abandoned_foundings(
    db: Database, founders: Founders, now: datetime, grace_seconds: float
) -> int:
    """Settle pending companies older than the grace, and abandoned ones; return how many
    were removed."""
    too_old = now - timedelta(seconds=grace_seconds)
    async with db.sessionmaker() as session:
        stale = await session.scalars(
            select(Company.id)
            .where(
                or_(
                    and_(Company.status == PENDING, Company.created_at < too_old),
                    Company.status == ABANDONED,
                )
            )
            .order_by(Company.created_at)
            .limit(SWEEP_BATCH)
        )
        stale_ids = list(stale)
    return sum([await abandon(db, founders, company_id) for company_id in stale_ids])
