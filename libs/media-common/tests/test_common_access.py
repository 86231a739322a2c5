"""The async AccessState: the rules that judge a token against the feeds, a fake clock."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from media_common.access import AccessState, AccessUpdate, UserAccess
from media_common.auth import Claims
from media_common.errors import Forbidden, ServiceUnavailable, Unauthorized


class Feed:
    def __init__(self, name: str, update: AccessUpdate) -> None:
        self.name = name
        self.update = update
        self.failing = False
        self.reads = 0

    async def read(self) -> AccessUpdate:
        self.reads += 1
        if self.failing:
            raise httpx.ConnectError("down")
        return self.update

    async def close(self) -> None:
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
    async def scenario() -> None:
        state, users, _, _ = make_state()
        users.failing = True
        judged = await state.current(claims())
        assert not judged.fresh
        with pytest.raises(ServiceUnavailable):
            judged.require_admin("admins only")
        with pytest.raises(Forbidden):
            (await state.current(claims(role="member"))).require_admin("admins only")
        users.failing = False  # without a poller, a stale state is read on demand
        assert (await state.current(claims())).fresh

    asyncio.run(scenario())


def test_current_role_deleted_user_and_inactive_company() -> None:
    async def scenario() -> None:
        state, users, companies, _ = make_state()
        await state.refresh()
        assert (await state.current(claims())).role == "admin"
        users.update = AccessUpdate(
            users={1: UserAccess(10, "member", False), 2: UserAccess(10, "member", True)}
        )
        companies.update = AccessUpdate(inactive_companies=frozenset({20}))
        await state.refresh()
        assert (await state.current(claims())).role == "member"
        assert (await state.current(claims(3, 10, "member"))).role == "member"
        for stale in (claims(2), claims(4, 20), claims(1, 11)):  # deleted, inactive, moved
            with pytest.raises(Unauthorized):
                await state.current(stale)

    asyncio.run(scenario())


def test_a_feed_unreadable_beyond_the_window_keeps_the_last_state_but_no_admin() -> None:
    async def scenario() -> None:
        state, users, _, clock = make_state()
        users.update = AccessUpdate(users={2: UserAccess(10, "member", True)})
        await state.refresh()
        users.failing = True
        clock.now += 3
        await state.refresh()  # fails: keeps the last state, which is 3 s old
        assert (await state.current(claims())).fresh
        clock.now += 2
        await state.refresh()
        state._loop._task = asyncio.get_running_loop().create_future()  # type: ignore[assignment]
        stale = await state.current(claims())  # a poller "runs": no read on demand
        assert stale.role == "admin" and not stale.fresh
        with pytest.raises(ServiceUnavailable):
            stale.require_admin("admins only")
        with pytest.raises(Unauthorized):  # what is known stays known
            await state.current(claims(2))
        state._loop._task = None
        users.failing = False
        await state.refresh()
        assert (await state.current(claims())).fresh

    asyncio.run(scenario())


def test_a_feed_never_read_since_the_start_is_read_by_the_request_that_needs_it() -> None:
    """A replica that started before its peer: the first admin action after the peer is up
    does not wait for the poller's next round (nor fail meanwhile)."""

    async def scenario() -> None:
        state, users, _, clock = make_state()
        users.failing = True
        await state.refresh()  # the start's first read: the peer is not up yet
        state._loop._task = asyncio.get_running_loop().create_future()  # type: ignore[assignment]
        assert not (await state.current(claims())).fresh  # still down: read, failed
        reads = users.reads
        clock.now += 0.1
        assert not (await state.current(claims())).fresh
        assert users.reads == reads  # not again within FIRST_READ_RETRY_SECONDS
        users.failing = False
        clock.now += 0.2
        assert (await state.current(claims())).fresh  # up now: read on demand
        assert users.reads == reads + 1
        users.failing = True
        clock.now += 5  # read once, then lost: the poller's business, no read on demand
        assert not (await state.current(claims())).fresh
        assert users.reads == reads + 1
        state._loop._task = None

    asyncio.run(scenario())


def test_the_poller_follows_the_feeds() -> None:
    async def scenario() -> None:
        users = Feed("users", AccessUpdate(users={}))
        state = AccessState([users], poll_seconds=0.01)
        await state.start()
        assert (await state.current(claims())).role == "admin"
        users.update = AccessUpdate(users={1: UserAccess(10, "member", False)})
        while (await state.current(claims())).role != "member":
            await asyncio.sleep(0.01)
        await state.close()
        assert users.reads >= 2

    asyncio.run(asyncio.wait_for(scenario(), 10))
