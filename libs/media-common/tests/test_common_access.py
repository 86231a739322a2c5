"""AccessState: the rules that judge a token against the feeds, with a fake clock."""

from __future__ import annotations

import pytest
import requests

from media_common.access import AccessState, AccessUpdate, UserAccess
from media_common.auth import Claims
from media_common.errors import Forbidden, ServiceUnavailable, Unauthorized


class Feed:
    def __init__(self, name: str, update: AccessUpdate) -> None:
        self.name = name
        self.update = update
        self.failing = False

    def read(self) -> AccessUpdate:
        if self.failing:
            raise requests.ConnectionError("down")
        return self.update

    def close(self) -> None:
        return None


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def claims(user_id: int = 1, company_id: int = 10, role: str = "admin") -> Claims:
    return Claims(user_id=user_id, company_id=company_id, role=role, jti="j")


def make_state() -> tuple[AccessState, Feed, Feed, Clock]:
    users = Feed("users", AccessUpdate(users={}))
    companies = Feed("companies", AccessUpdate(inactive_companies=frozenset()))
    clock = Clock()
    return AccessState([users, companies], max_age_seconds=4, clock=clock), users, companies, clock


def test_never_read_refuses_admin_authority() -> None:
    state, users, _, _ = make_state()
    users.failing = True
    judged = state.current(claims())
    assert not judged.fresh
    with pytest.raises(ServiceUnavailable):
        judged.require_admin("admins only")
    with pytest.raises(Forbidden):
        state.current(claims(role="member")).require_admin("admins only")
    users.failing = False  # without a poller thread, a stale state is read on demand
    assert state.current(claims()).fresh


def test_current_role_deleted_user_and_inactive_company() -> None:
    state, users, companies, _ = make_state()
    state.refresh()
    assert state.current(claims()).role == "admin"
    users.update = AccessUpdate(
        users={1: UserAccess(10, "member", False), 2: UserAccess(10, "member", True)}
    )
    companies.update = AccessUpdate(inactive_companies=frozenset({20}))
    state.refresh()
    assert state.current(claims()).role == "member"
    assert state.current(claims(3, 10, "member")).role == "member"  # unchanged users pass
    with pytest.raises(Unauthorized):
        state.current(claims(2))
    with pytest.raises(Unauthorized):
        state.current(claims(4, 20))
    with pytest.raises(Unauthorized):
        state.current(claims(1, 11))  # a user moved out of the token's company


def test_a_feed_unreadable_beyond_the_window_keeps_the_last_state_but_no_admin() -> None:
    state, users, _, clock = make_state()
    users.update = AccessUpdate(users={2: UserAccess(10, "member", True)})
    state.refresh()
    users.failing = True
    clock.now += 3
    state.refresh()  # fails: keeps the last state, which is 3 s old
    assert state.current(claims()).fresh
    clock.now += 2
    state.refresh()
    stale = state.current(claims())
    assert stale.role == "admin" and not stale.fresh
    with pytest.raises(ServiceUnavailable):
        stale.require_admin("admins only")
    with pytest.raises(Unauthorized):  # what is known stays known
        state.current(claims(2))
    users.failing = False
    state.refresh()
    assert state.current(claims()).fresh
