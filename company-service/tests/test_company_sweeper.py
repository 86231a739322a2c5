"""effective_plan and the sweeper: expired paid plans read as free and are persisted so."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from company_service.main import create_app
from company_service.models import Company, PlanChange
from company_service.plans import Plan, effective_plan
from company_service.settings import Settings
from company_service.sweeper import PlanSweeper, sweep_expired_plans
from media_common.db import Database
from media_common.testing import run_with_database

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def sweep(settings: Settings, now: datetime | None = None, **kwargs: int) -> int:
    """One sweep in a transaction of its own, committed."""

    async def work(database: Database) -> int:
        async with database.sessionmaker() as session:
            count = await sweep_expired_plans(session, now or datetime.now(UTC), **kwargs)
            await session.commit()
            return count

    return run_with_database(settings, work)


@pytest.mark.parametrize(
    ("plan", "expires_at", "expected"),
    [
        ("paid", NOW + timedelta(seconds=1), Plan.PAID),
        ("paid", NOW, Plan.FREE),
        ("paid", NOW - timedelta(days=1), Plan.FREE),
        ("free", None, Plan.FREE),
    ],
)
def test_effective_plan_rule(plan, expires_at, expected):
    assert effective_plan(Company(plan=plan, plan_expires_at=expires_at), NOW) == expected


def set_plan(db: Session, company_id: int, expires_at: datetime) -> None:
    """Arrange a paid plan directly in the database (the API refuses past expiries)."""
    db.execute(
        update(Company)
        .where(Company.id == company_id)
        .values(plan="paid", plan_expires_at=expires_at)
    )
    db.commit()


def expired_companies(new_company, db: Session, count: int) -> list[int]:
    ids = [new_company()["id"] for _ in range(count)]
    for company_id in ids:
        set_plan(db, company_id, datetime.now(UTC) - timedelta(minutes=5))
    return ids


def history(db: Session, company_id: int) -> list[PlanChange]:
    db.expire_all()
    return list(
        db.scalars(
            select(PlanChange).where(PlanChange.company_id == company_id).order_by(PlanChange.id)
        )
    )


def stored_plan(db: Session, company_id: int) -> tuple[str, datetime | None]:
    db.expire_all()
    company = db.get(Company, company_id)
    assert company is not None
    return company.plan, company.plan_expires_at


def test_expired_plan_reads_as_free_before_the_sweep(client, new_company, auth, db):
    company_id = new_company()["id"]
    set_plan(db, company_id, datetime.now(UTC) - timedelta(seconds=1))
    body = client.get(f"/api/v1/companies/{company_id}", headers=auth(company_id, "member")).json()
    assert body["plan"] == "paid"
    assert body["effective_plan"] == "free"
    assert datetime.fromisoformat(body["plan_expires_at"]) < datetime.now(UTC)


def test_sweep_downgrades_and_writes_history(new_company, db, company_settings):
    expired = expired_companies(new_company, db, 3)
    running = new_company()["id"]
    set_plan(db, running, datetime.now(UTC) + timedelta(days=1))

    assert sweep(company_settings) >= 3

    for company_id in expired:
        assert stored_plan(db, company_id) == ("free", None)
        [change] = history(db, company_id)
        assert (change.from_plan, change.to_plan) == ("paid", "free")
        assert change.changed_by is None
        assert change.reason == "plan_expired"
        assert change.previous_expires_at is not None
    assert stored_plan(db, running)[0] == "paid"
    assert history(db, running) == []

    sweep(company_settings)  # a second sweep finds nothing of ours left
    assert all(len(history(db, company_id)) == 1 for company_id in expired)


def test_sweep_with_an_injected_clock(new_company, db, company_settings):
    company_id = new_company()["id"]
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    set_plan(db, company_id, expires_at)
    sweep(company_settings, expires_at - timedelta(seconds=1))
    assert stored_plan(db, company_id)[0] == "paid"
    sweep(company_settings, expires_at)
    assert stored_plan(db, company_id) == ("free", None)


def test_only_one_sweeper_holds_the_lock(new_company, db, company_settings):
    async def work(database: Database) -> int:
        async with database.sessionmaker() as first:
            await sweep_expired_plans(first, datetime.now(UTC))  # holds the lock until commit
            [late] = expired_companies(new_company, db, 1)
            async with database.sessionmaker() as second:
                assert await sweep_expired_plans(second, datetime.now(UTC)) == 0
                await second.rollback()
            assert stored_plan(db, late)[0] == "paid"
            await first.commit()
        return late

    late = run_with_database(company_settings, work)
    assert sweep(company_settings) >= 1
    assert stored_plan(db, late)[0] == "free"


def test_sweep_skips_a_row_being_changed(new_company, db, engine, company_settings):
    [busy] = expired_companies(new_company, db, 1)
    with Session(engine) as holder:
        holder.execute(select(Company).where(Company.id == busy).with_for_update())
        sweep(company_settings)  # must not block on the row
        assert stored_plan(db, busy)[0] == "paid"
        holder.rollback()
    sweep(company_settings)
    assert stored_plan(db, busy)[0] == "free"


def test_racing_sweepers_downgrade_each_company_once(new_company, db, company_settings):
    ids = expired_companies(new_company, db, 30)

    async def sweeper(database: Database, start: asyncio.Event) -> int:
        await start.wait()
        swept = 0
        for _ in range(10):
            async with database.sessionmaker() as session:
                swept += await sweep_expired_plans(session, datetime.now(UTC), batch_size=7)
                await session.commit()
        return swept

    async def work(database: Database) -> int:
        start = asyncio.Event()
        racers = [asyncio.create_task(sweeper(database, start)) for _ in range(4)]
        start.set()
        return sum(await asyncio.gather(*racers))

    total = run_with_database(company_settings, work)
    total += sweep(company_settings)  # whatever the lost lock races left over
    assert total >= len(ids)
    for company_id in ids:
        assert stored_plan(db, company_id) == ("free", None)
        assert len(history(db, company_id)) == 1


async def _task_names() -> set[str]:
    return {task.get_name() for task in asyncio.all_tasks()}


def test_sweeper_task_runs_in_the_lifespan(company_settings, new_company, db):
    [company_id] = expired_companies(new_company, db, 1)
    settings = company_settings.model_copy(update={"plan_sweep_seconds": 0.1})
    app = create_app(settings)
    with TestClient(app) as client:
        assert "plan-sweeper" in client.portal.call(_task_names)
        deadline = time.monotonic() + 10
        while stored_plan(db, company_id)[0] != "free" and time.monotonic() < deadline:
            time.sleep(0.05)
        runtime = app.state.runtime
    assert stored_plan(db, company_id)[0] == "free"
    assert not runtime.sweeper._loop.running


def test_sweeper_survives_a_failing_round(company_settings, new_company, db):
    calls = []

    def clock() -> datetime:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return datetime.now(UTC)

    [company_id] = expired_companies(new_company, db, 1)

    async def work(database: Database) -> None:
        sweeper = PlanSweeper(database, 0.05, clock=clock)
        sweeper.start()
        try:
            deadline = time.monotonic() + 10
            while stored_plan(db, company_id)[0] != "free" and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            await sweeper.stop()

    run_with_database(company_settings, work)
    assert stored_plan(db, company_id)[0] == "free"
    assert len(calls) >= 2
