"""Current authorization: role changes, deleted users and deactivated companies count
within seconds, whatever the token says (media_common.access)."""

from __future__ import annotations

import time

import pytest


def _eventually(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("the change did not take effect within 5 seconds")
        time.sleep(0.05)


def test_demoted_admin_loses_admin_actions(client, users, new_company, auth, unique_name):
    company = new_company()
    headers = auth(company["id"], "admin", user_id=501)
    url = f"/api/v1/companies/{company['id']}"
    assert client.patch(url, json={"name": unique_name()}, headers=headers).status_code == 200
    users.change_user(501, company["id"], "member")
    _eventually(
        lambda: client.patch(url, json={"name": unique_name()}, headers=headers).status_code == 403
    )
    assert client.get(url, headers=headers).status_code == 200  # still a member


def test_deleted_user_is_unauthorized(client, users, new_company, auth):
    company = new_company()
    headers = auth(company["id"], "member", user_id=502)
    url = f"/api/v1/companies/{company['id']}"
    assert client.get(url, headers=headers).status_code == 200
    users.change_user(502, company["id"], "member", deleted=True)
    _eventually(lambda: client.get(url, headers=headers).status_code == 401)


def test_deactivated_company_tokens_are_unauthorized(client, new_company, auth):
    company = new_company()
    admin = auth(company["id"], "admin", user_id=503)
    member = auth(company["id"], "member", user_id=504)
    url = f"/api/v1/companies/{company['id']}"
    assert client.delete(url, headers=admin).status_code == 204
    _eventually(lambda: client.get(url, headers=member).status_code == 401)
    assert client.get(url, headers=member).json()["code"] == "UNAUTHORIZED"
