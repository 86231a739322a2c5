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

import requests
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

    def create(self, company_id: int, founder: FounderCreate) -> dict[str, Any]:
        try:
            response = self.client.request(
                "PUT",
                f"/internal/v1/users/founders/{company_id}",
                json=founder.model_dump(),
            )
        except requests.RequestException as exc:
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

    def cancel(self, company_id: int) -> None:
        try:
            response = self.client.request("DELETE", f"/internal/v1/users/founders/{company_id}")
        except requests.RequestException as exc:
            raise ServiceUnavailable("user-service is unavailable") from exc
        if response.status_code != 204:
            raise ServiceUnavailable("user-service is unavailable")

    def close(self) -> None:
        self.client.close()


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def found_company(
    db: Database, founders: Founders, name: str, founder: FounderCreate, now: datetime
) -> tuple[Company, dict[str, Any]]:
    """The new active company and its admin (user-service's user), or an error and nothing."""
    with db.sessionmaker() as session:
        company = create_company(session, name, now, status=PENDING)
        session.commit()
    try:
        admin = founders.create(company.id, founder)
    except (Conflict, ValidationFailed):
        _remove(db, company.id)  # user-service refused: it created nothing
        raise
    except ServiceUnavailable:
        abandon(db, founders, company.id)
        raise
    with db.sessionmaker() as session:
        activated = session.scalars(
            update(Company)
            .where(Company.id == company.id, Company.status == PENDING)
            .values(status="active")
            .returning(Company.id)
        ).first()
        session.commit()
    if not activated:  # the sweeper settled it meanwhile (a very slow user-service)
        abandon(db, founders, company.id)
        raise ServiceUnavailable("The company could not be created in time; try again")
    company.status = "active"
    return company, admin


def abandon(db: Database, founders: Founders, company_id: int) -> bool:
    """Give the founding up: the row turns `abandoned` (so a late activation fails and the
    name is free), user-service cancels the founder, the row goes. False when user-service
    cannot be reached (the abandoned row stays for the sweeper)."""
    with db.sessionmaker() as session:
        session.execute(
            update(Company)
            .where(Company.id == company_id, Company.status == PENDING)
            .values(status=ABANDONED)
        )
        session.commit()
    try:
        founders.cancel(company_id)
    except ServiceUnavailable:
        logger.warning("founding of company %s left for the sweeper", company_id)
        return False
    _remove(db, company_id, (PENDING, ABANDONED))
    return True


def _remove(db: Database, company_id: int, statuses: tuple[str, ...] = (PENDING,)) -> None:
    with db.sessionmaker() as session:
        session.execute(
            delete(Company).where(Company.id == company_id, Company.status.in_(statuses))
        )
        session.commit()


def sweep_abandoned_foundings(
    db: Database, founders: Founders, now: datetime, grace_seconds: float
) -> int:
    """Settle pending companies older than the grace, and abandoned ones; return how many
    were removed."""
    too_old = now - timedelta(seconds=grace_seconds)
    with db.sessionmaker() as session:
        stale = session.scalars(
            select(Company.id)
            .where(
                or_(
                    and_(Company.status == PENDING, Company.created_at < too_old),
                    Company.status == ABANDONED,
                )
            )
            .order_by(Company.created_at)
            .limit(SWEEP_BATCH)
        ).all()
    return sum(abandon(db, founders, company_id) for company_id in stale)
