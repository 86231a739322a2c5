"""Current authorization: what changed since a token was issued, held in memory.

An access token says who its bearer was when it was issued (role, company). user-service
publishes the users whose role changed or who were deleted (`USER_FEED_PATH`) and
company-service the companies that are no longer active (`COMPANY_FEED_PATH`); every
service polls the feeds it needs every `ACCESS_POLL_SECONDS` in a background task and
judges each request against the snapshot: a dictionary and a set lookup, no call to
another service on the request path.

- a deleted user, or a user of a deactivated company: 401;
- a changed role: the current role replaces the token's (a demoted admin gets 403 on
  admin actions, a promoted member may act as admin at once);
- a feed never read since the start (its peer was not up yet when this process was) is
  read by the request that needs it, at most every `FIRST_READ_RETRY_SECONDS` (the other
  requests wait for that read), so the first admin action after a start does not fail
  for want of the poller's next round;
- when a feed has not been read for `ACCESS_MAX_AGE_SECONDS` (or never, after a start,
  and it cannot be read now), the state may be older than the contract's 5 seconds.
  Admin authority then fails closed: the claims come back with `fresh=False` and every
  admin check answers 503 (`Claims.require_admin`). Everything else goes on with the last
  known state: roles and deletions change only through user-service, so while it cannot
  be reached little can have changed, and videos keep playing (their point credits wait
  in the outbox) instead of the whole platform failing with user-service. What a stale
  state may miss: a deletion made in the last second before the feed was lost, or, on a
  replica that started during the outage, the deletions of the last token lifetime —
  readers only, until user-service is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from prometheus_client import Counter

from media_common.auth import Claims
from media_common.errors import Unauthorized
from media_common.internal_http import InternalClient
from media_common.periodic import Periodic
from media_common.settings import ServiceSettings

logger = logging.getLogger(__name__)

USER_FEED_PATH = "/internal/v1/users/access-changes"
COMPANY_FEED_PATH = "/internal/v1/companies/inactive"
FIRST_READ_RETRY_SECONDS = 0.25
FEED_FAILURES = Counter("access_feed_failures_total", "Failed reads of an access feed", ["feed"])


@dataclass(frozen=True, slots=True)
class UserAccess:
    company_id: int
    role: str
    deleted: bool


@dataclass(frozen=True)
class AccessUpdate:
    """What one read of one feed says; None for what that feed does not publish."""

    users: dict[int, UserAccess] | None = None
    inactive_companies: frozenset[int] | None = None


class AccessFeed(Protocol):
    name: str

    async def read(self) -> AccessUpdate: ...

    async def close(self) -> None: ...


def feed_client(base_url: str, settings: ServiceSettings) -> InternalClient:
    """A client for one feed: short timeout, no retries (the next poll is the retry)."""
    return InternalClient(
        base_url, settings.internal_token.get_secret_value(), timeout=2.0, retries=0
    )


class UserFeed:
    """user-service's feed of changed users."""

    name = "users"

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def read(self) -> AccessUpdate:
        body = await _get_json(self.client, USER_FEED_PATH)
        users = {
            int(str(u["id"])): UserAccess(
                int(str(u["company_id"])), str(u["role"]), bool(u["deleted"])
            )
            for u in body["users"]
        }
        return AccessUpdate(users=users)

    async def close(self) -> None:
        await self.client.close()


class CompanyFeed:
    """company-service's feed of companies that are no longer active."""

    name = "companies"

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def read(self) -> AccessUpdate:
        body = await _get_json(self.client, COMPANY_FEED_PATH)
        return AccessUpdate(inactive_companies=frozenset(int(str(i)) for i in body["ids"]))

    async def close(self) -> None:
        await self.client.close()


class LocalCompanyFeed:
    """The inactive companies from a function (company-service reads its own table)."""

    name = "companies"

    def __init__(self, inactive_ids: Callable[[], Awaitable[Iterable[int]]]) -> None:
        self._inactive_ids = inactive_ids

    async def read(self) -> AccessUpdate:
        return AccessUpdate(inactive_companies=frozenset(await self._inactive_ids()))

    async def close(self) -> None:
        return None


async def _get_json(client: InternalClient, path: str) -> dict[str, list[dict[str, object]]]:
    response = await client.get(path)
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError("an access feed answered something other than an object")
    return body


@dataclass
class _Held:
    users: dict[int, UserAccess] = field(default_factory=dict)
    inactive_companies: frozenset[int] = frozenset()
    read_at: dict[str, float] = field(default_factory=dict)


class AccessState:
    """The latest read of each feed, and the rules that judge a token against it."""

    @classmethod
    def for_feeds(cls, feeds: list[AccessFeed], settings: ServiceSettings) -> AccessState:
        return cls(
            feeds,
            poll_seconds=settings.access_poll_seconds,
            max_age_seconds=settings.access_max_age_seconds,
        )

    def __init__(
        self,
        feeds: list[AccessFeed],
        *,
        poll_seconds: float = 1.0,
        max_age_seconds: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.feeds = feeds
        self.poll_seconds = poll_seconds
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._held = _Held()
        self._loop = Periodic("access-state", self._poll, poll_seconds)
        self._inline: asyncio.Lock | None = None
        self._inline_at = float("-inf")

    # -- the request path -------------------------------------------------------------
    async def current(self, claims: Claims) -> Claims:
        """The token's claims as of now: 401 deleted user or inactive company, the
        current role; `fresh=False` when the state is too old to confirm an admin."""
        access, fresh = await self._judge(claims.user_id, claims.company_id)
        role = access.role if access is not None else claims.role
        if role != claims.role or not fresh:
            return replace(claims, role=role, fresh=fresh)
        return claims

    async def check(self, user_id: int, company_id: int) -> UserAccess | None:
        """401 unless the user and their company are live (as last known); their change."""
        return (await self._judge(user_id, company_id))[0]

    def is_fresh(self) -> bool:
        return not self._stale(self._held, self._clock())

    async def _judge(self, user_id: int, company_id: int) -> tuple[UserAccess | None, bool]:
        if self._stale(self._held, self._clock()) and (
            not self._loop.running or self._never_read(self._held)
        ):
            await self._refresh_inline()
        held = self._held  # one snapshot per request: the poller swaps it whole
        fresh = not self._stale(held, self._clock())
        if company_id in held.inactive_companies:
            raise Unauthorized("The company of this account is deactivated")
        access = held.users.get(user_id)
        if access is not None and (access.deleted or access.company_id != company_id):
            raise Unauthorized("This account no longer exists")
        return access, fresh

    async def _refresh_inline(self) -> None:
        """Read now: no poller (an app used without its lifespan, as some tests do), or a
        feed never read since the start. One read at a time; with a poller, at most one
        every `FIRST_READ_RETRY_SECONDS` (a peer still down costs a request no more)."""
        if self._inline is None:
            self._inline = asyncio.Lock()
        async with self._inline:
            now = self._clock()
            if not self._stale(self._held, now):
                return
            if self._loop.running and now - self._inline_at < FIRST_READ_RETRY_SECONDS:
                return
            self._inline_at = now
            await self.refresh()

    def _never_read(self, held: _Held) -> bool:
        return any(feed.name not in held.read_at for feed in self.feeds)

    def _stale(self, held: _Held, now: float) -> bool:
        for feed in self.feeds:
            read_at = held.read_at.get(feed.name)
            if read_at is None or now - read_at > self.max_age_seconds:
                return True
        return False

    # -- the poller -------------------------------------------------------------------
    async def refresh(self) -> None:
        """Read every feed once; a feed that fails keeps its last state (and ages)."""
        held = self._held
        users, inactive = held.users, held.inactive_companies
        read_at = dict(held.read_at)
        for feed in self.feeds:
            try:
                update = await feed.read()
            except Exception as exc:  # unreachable, bad answer, database down: all alike
                FEED_FAILURES.labels(feed.name).inc()
                logger.warning("access feed %s unreadable: %s", feed.name, exc)
                continue
            users = update.users if update.users is not None else users
            if update.inactive_companies is not None:
                inactive = update.inactive_companies
            read_at[feed.name] = self._clock()
        self._held = _Held(users, inactive, read_at)

    async def start(self) -> None:
        """A first read at once (requests are judged from the start), then the poller."""
        await self.refresh()
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def close(self) -> None:
        await self.stop()
        for feed in self.feeds:
            await feed.close()

    async def _poll(self) -> bool:
        await self.refresh()
        return False
