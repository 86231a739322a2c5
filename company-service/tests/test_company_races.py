"""Concurrent requests: unique names hold under races, plan changes serialise."""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from company_fakes import founder
from sqlalchemy import select

from company_service.models import PlanChange


def test_racing_creates_with_one_name_give_one_201(client):
    name = f"Race {uuid.uuid4().hex[:10]}"
    variants = [name, name.upper(), name.lower(), f"  {name} "]

    def create(i: int) -> int:
        return client.post(
            "/api/v1/companies", json={"name": variants[i % 4], "admin": founder()}
        ).status_code

    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(create, range(100)))
    assert statuses.count(201) == 1
    assert statuses.count(409) == 99


def test_racing_renames_to_one_name_give_one_200(client, new_company, auth):
    companies = [new_company() for _ in range(10)]
    name = f"Rename race {uuid.uuid4().hex[:10]}"

    def rename(company: dict) -> int:
        url = f"/api/v1/companies/{company['id']}"
        return client.patch(url, headers=auth(company["id"]), json={"name": name}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(rename, companies))
    assert sorted(statuses) == [200] + [409] * 9


def test_racing_plan_changes_keep_a_consistent_history(client, new_company, auth, db):
    company = new_company()
    url = f"/api/v1/companies/{company['id']}/plan"
    base = datetime.now(UTC) + timedelta(days=1)

    def change(i: int) -> int:
        body = (
            {"plan": "free"}
            if i % 3 == 0
            else {"plan": "paid", "expires_at": (base + timedelta(hours=i)).isoformat()}
        )
        return client.put(url, headers=auth(company["id"], user_id=i + 1), json=body).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(change, range(60)))
    assert statuses == [200] * 60

    changes = list(
        db.scalars(
            select(PlanChange).where(PlanChange.company_id == company["id"]).order_by(PlanChange.id)
        )
    )
    assert changes
    # Each change starts where the previous one ended: no lost or interleaved update.
    assert (changes[0].from_plan, changes[0].previous_expires_at) == ("free", None)
    for before, after in itertools.pairwise(changes):
        assert (after.from_plan, after.previous_expires_at) == (before.to_plan, before.expires_at)
    final = client.get(f"/api/v1/companies/{company['id']}", headers=auth(company["id"])).json()
    last = changes[-1]
    assert final["plan"] == last.to_plan
    final_expiry = final["plan_expires_at"]
    assert (datetime.fromisoformat(final_expiry) if final_expiry else None) == last.expires_at
