"""The caller's account, listing, reading, editing and deleting users; tenancy and roles."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import requests
from fastapi.testclient import TestClient
from sqlalchemy import event
from user_factories import PASSWORD, SERVICE, Account, Factory


def test_me(make: Factory, client: TestClient) -> None:
    account = make.account(name="Grace")
    me = client.get("/api/v1/users/me", headers=account.headers).json()
    assert me["email"] == account.email and me["name"] == "Grace" and me["role"] == "admin"
    assert "password" not in str(me) and "hash" not in str(me)


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL statements the app sends meanwhile (through SQLAlchemy and the reader)."""
    db = client.app.state.runtime.db
    engine = db.engine.sync_engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    db.reader.observers.append(seen.append)
    try:
        yield seen
    finally:
        db.reader.observers.remove(seen.append)
        event.remove(engine, "before_cursor_execute", record)


def test_hot_reads_take_one_statement_per_answer(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    with statements(client) as seen:
        me = client.get("/api/v1/users/me", headers=member.headers)
    assert me.status_code == 200 and len(seen) == 1  # the caller's row is the answer
    with statements(client) as seen:
        page = client.get("/api/v1/users", headers=admin.headers).json()
    assert page["total"] == 2 and len(seen) == 2  # the caller's row; the page and its total
    with statements(client) as seen:
        assert client.get(f"/api/v1/users/{member.id}", headers=member.headers).status_code == 200
    assert len(seen) == 1


def test_admin_lists_own_company_newest_first(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    third = make.account(admin.company_id)
    make.account()  # another company
    page = client.get("/api/v1/users", headers=admin.headers).json()
    assert page["total"] == 3 and page["limit"] == 20 and page["offset"] == 0
    assert [u["id"] for u in page["items"]] == [third.id, member.id, admin.id]
    second = client.get("/api/v1/users?limit=1&offset=1", headers=admin.headers).json()
    assert [u["id"] for u in second["items"]] == [member.id] and second["total"] == 3


def test_list_paging_is_validated(make: Factory, client: TestClient) -> None:
    admin = make.account()
    for query in ("limit=0", "limit=101", "offset=-1", "limit=x", f"offset={2**63}"):
        response = client.get(f"/api/v1/users?{query}", headers=admin.headers)
        assert response.status_code == 422, query


def test_members_cannot_list(make: Factory, client: TestClient) -> None:
    _, member = make.team()
    response = client.get("/api/v1/users", headers=member.headers)
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"


def test_who_may_read_whom(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    colleague = make.account(admin.company_id)
    stranger = make.account()

    def status(reader_headers: dict[str, str], user_id: int) -> int:
        return client.get(f"/api/v1/users/{user_id}", headers=reader_headers).status_code

    assert status(member.headers, member.id) == 200
    assert status(admin.headers, member.id) == 200
    assert status(member.headers, colleague.id) == 403
    assert status(member.headers, admin.id) == 403
    assert status(stranger.headers, member.id) == 404  # another company: as if absent
    assert status(admin.headers, stranger.id) == 404
    assert status(admin.headers, 999_999_999) == 404


def test_out_of_range_ids_are_422(make: Factory, client: TestClient) -> None:
    admin = make.account()
    for user_id in ("0", "-1", str(2**63), "1e3", "abc"):
        assert client.get(f"/api/v1/users/{user_id}", headers=admin.headers).status_code == 422


def test_user_changes_own_name(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    before = client.get("/api/v1/users/me", headers=member.headers).json()
    response = client.patch(
        f"/api/v1/users/{member.id}", json={"name": " Renamed "}, headers=member.headers
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["updated_at"] > before["updated_at"]
    cleared = client.patch(
        f"/api/v1/users/{member.id}", json={"name": None}, headers=member.headers
    )
    assert cleared.json()["name"] is None
    # Admins manage roles, not other people's names.
    other = client.patch(f"/api/v1/users/{member.id}", json={"name": "X"}, headers=admin.headers)
    assert other.status_code == 403


def test_user_changes_password_with_the_current_one(make: Factory, client: TestClient) -> None:
    account = make.account()
    url = f"/api/v1/users/{account.id}"
    new = "a brand new password"
    no_current = client.patch(url, json={"password": new}, headers=account.headers)
    assert no_current.status_code == 422
    wrong = client.patch(
        url, json={"password": new, "current_password": "not it at all"}, headers=account.headers
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "FORBIDDEN"
    short = client.patch(
        url, json={"password": "short", "current_password": PASSWORD}, headers=account.headers
    )
    assert short.status_code == 422
    ok = client.patch(
        url, json={"password": new, "current_password": PASSWORD}, headers=account.headers
    )
    assert ok.status_code == 200
    old_login = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert old_login.status_code == 401
    assert make.login(account.email, new)["access_token"]
    # Every earlier session ends with the old password.
    old_refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert old_refresh.status_code == 401


def test_admin_changes_roles_members_cannot(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    denied = client.patch(
        f"/api/v1/users/{member.id}", json={"role": "admin"}, headers=member.headers
    )
    assert denied.status_code == 403
    promoted = client.patch(
        f"/api/v1/users/{member.id}", json={"role": "admin"}, headers=admin.headers
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    # The role is read from the database: the old member token now acts as an admin.
    assert client.get("/api/v1/users", headers=member.headers).status_code == 200
    demoted = client.patch(
        f"/api/v1/users/{admin.id}", json={"role": "member"}, headers=member.headers
    )
    assert demoted.status_code == 200 and demoted.json()["role"] == "member"
    assert client.get("/api/v1/users", headers=admin.headers).status_code == 403


def test_last_admin_cannot_be_demoted(make: Factory, client: TestClient) -> None:
    admin, _ = make.team()
    response = client.patch(
        f"/api/v1/users/{admin.id}", json={"role": "member"}, headers=admin.headers
    )
    assert response.status_code == 409 and response.json()["code"] == "CONFLICT"


def test_invalid_patches_are_422(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    for body in (
        {"points": 1_000_000},
        {"role": "owner"},
        {"role": None},
        {"name": ""},
        {"name": "\x1b[31m"},
        {"email": "new@example.com"},
        {"company_id": 1},
    ):
        response = client.patch(f"/api/v1/users/{member.id}", json=body, headers=admin.headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == "VALIDATION_ERROR"
    assert client.get("/api/v1/users/me", headers=member.headers).json()["points"] == 0


def test_cross_tenant_changes_are_404(make: Factory, client: TestClient) -> None:
    admin = make.account()
    stranger = make.account()
    url = f"/api/v1/users/{stranger.id}"
    assert client.patch(url, json={"role": "member"}, headers=admin.headers).status_code == 404
    assert client.delete(url, headers=admin.headers).status_code == 404
    assert client.get("/api/v1/users/me", headers=stranger.headers).status_code == 200


def test_members_cannot_delete_colleagues(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    response = client.delete(f"/api/v1/users/{admin.id}", headers=member.headers)
    assert response.status_code == 403


def test_admin_deletes_a_member(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    assert client.delete(f"/api/v1/users/{member.id}", headers=admin.headers).status_code == 204
    assert client.get(f"/api/v1/users/{member.id}", headers=admin.headers).status_code == 404
    assert client.delete(f"/api/v1/users/{member.id}", headers=admin.headers).status_code == 404
    page = client.get("/api/v1/users", headers=admin.headers).json()
    assert [u["id"] for u in page["items"]] == [admin.id]
    assert client.get("/api/v1/users/me", headers=member.headers).status_code == 401


def test_the_last_admin_cannot_be_deleted(make: Factory, client: TestClient) -> None:
    admin, member = make.team()
    refused = client.delete(f"/api/v1/users/{admin.id}", headers=admin.headers)
    assert refused.status_code == 409
    assert client.delete(f"/api/v1/users/{member.id}", headers=member.headers).status_code == 204
    # Alone in the company: still the last admin, still 409 (a company keeps an admin).
    assert client.delete(f"/api/v1/users/{admin.id}", headers=admin.headers).status_code == 409
    other = make.signup(admin.company_id)
    promoted = client.patch(
        f"/api/v1/users/{other['id']}", json={"role": "admin"}, headers=admin.headers
    )
    assert promoted.status_code == 200
    assert client.delete(f"/api/v1/users/{admin.id}", headers=admin.headers).status_code == 204


def test_role_changes_and_deletions_are_in_the_access_feed(
    make: Factory, client: TestClient
) -> None:
    admin, member = make.team()
    feed_url = "/internal/v1/users/access-changes"
    assert client.get(feed_url).status_code == 401  # service token only
    ids = {u["id"] for u in client.get(feed_url, headers=SERVICE).json()["users"]}
    assert member.id not in ids
    client.patch(f"/api/v1/users/{member.id}", json={"role": "admin"}, headers=admin.headers)
    client.patch(f"/api/v1/users/{admin.id}", json={"role": "member"}, headers=member.headers)
    client.delete(f"/api/v1/users/{admin.id}", headers=admin.headers)
    users = {u["id"]: u for u in client.get(feed_url, headers=SERVICE).json()["users"]}
    assert users[member.id] == {
        "id": member.id, "company_id": member.company_id, "role": "admin", "deleted": False
    }  # fmt: skip
    assert users[admin.id]["deleted"] is True


def test_two_admins_demoting_each_other_at_once_leave_one(make: Factory, live_url: str) -> None:
    for _ in range(5):
        admin, other = make.team()
        make.client.patch(
            f"/api/v1/users/{other.id}", json={"role": "admin"}, headers=admin.headers
        )

        def demote(pair: tuple[Account, Account]) -> int:
            actor, target = pair
            return requests.patch(
                f"{live_url}/api/v1/users/{target.id}",
                json={"role": "member"},
                headers=actor.headers,
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = sorted(pool.map(demote, [(admin, other), (other, admin)]))
        assert statuses[0] == 200 and statuses[1] in (403, 409), statuses
        roles = [
            make.client.get("/api/v1/users/me", headers=a.headers).json()["role"]
            for a in (admin, other)
        ]
        assert sorted(roles) == ["admin", "member"]


def test_methods_me_does_not_answer_are_405(make: Factory, client: TestClient) -> None:
    admin = make.account()
    for method in ("PATCH", "DELETE", "PUT", "POST"):
        response = client.request(method, "/api/v1/users/me", headers=admin.headers, json={})
        assert response.status_code == 405, (method, response.text)
        assert response.json()["code"] == "METHOD_NOT_ALLOWED"
        assert response.headers["allow"] == "GET"
    assert "/api/v1/users/{user_id}" in client.get("/openapi/user.json").json()["paths"]
