"""A founding killed half-way: company-service dies while user-service creates the admin.

user-service is held inside the founding by a real lock on its founders table (taken here
as the superuser), company-service is SIGKILLed while its request waits, then the lock is
released so user-service completes a founder for a company that was never activated.
Nothing of it may be usable, and the founding sweeper must settle it: the pending company
and its founder disappear, their name and email are free again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg2
import requests

from tests.support.client import PASSWORD, Api, assert_error, eventually, unique
from tests.support.stack import Stack


def _founding_waits_on_lock(stack: Stack) -> bool:
    rows = stack.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND usename = 'identity_svc' AND query ILIKE '%company_founders%'"
    )
    return rows[0][0] > 0


def _count(stack: Stack, query: str) -> int:
    return int(stack.psql(query)[0][0])


def test_a_founding_killed_half_way_leaves_nothing_usable(api: Api, stack: Stack) -> None:
    name, email = unique("Killed"), f"{unique('killed')}@example.com"
    body = {"name": name, "admin": {"email": email, "password": PASSWORD}}
    companies = f"SELECT count(*) FROM company.companies WHERE name = '{name}'"
    founders = f"SELECT count(*) FROM identity.users WHERE email = '{email}' AND deleted_at IS NULL"
    lock = psycopg2.connect(stack.info["media_dsn"], connect_timeout=10)
    try:
        with lock.cursor() as cur:
            cur.execute("LOCK TABLE identity.company_founders IN SHARE ROW EXCLUSIVE MODE")
        with ThreadPoolExecutor(max_workers=1) as pool:
            creation = pool.submit(
                requests.post, f"{api.base}/api/v1/companies", json=body, timeout=60
            )
            try:
                eventually(lambda: _founding_waits_on_lock(stack), timeout=30, what="founding")
                assert stack.psql(
                    f"SELECT status FROM company.companies WHERE name = '{name}'"
                ) == [("pending",)]
                stack.kill("company-service")
                assert creation.result().status_code in (502, 503, 504)
            finally:
                lock.rollback()  # user-service goes on and creates the founder
        eventually(lambda: _count(stack, founders) == 1, timeout=15, what="the late founder")
        # the founder exists but is of no use: its company is pending, never active
        login = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert_error(login, 401, "INVALID_CREDENTIALS")
    finally:
        lock.close()
        stack.start("company-service")
    # the founding sweeper settles it (FOUNDING_GRACE_SECONDS=15 in the test stack)
    eventually(lambda: _count(stack, companies) == 0, timeout=60, what="the sweep")
    eventually(lambda: _count(stack, founders) == 0, timeout=10, what="the founder removal")
    company = api.create_company(name, admin_email=email)
    assert (company["name"], company["admin"]["email"]) == (name, email)
    assert api.login(email)["access_token"]
