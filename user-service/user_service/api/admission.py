"""Admission of point credits inside one process.

A user's row admits one credit at a time (`FOR UPDATE NOWAIT`), so two credits of one
user running at once in the same process would only turn one of them into a 409 and a
client retry. Credits therefore queue per user (striped locks) and at most `concurrency`
run at once; waiting happens on the event loop and holds no thread and no database
connection. Replicas still meet on the row lock, which remains the actual guarantee.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakKeyDictionary


class _Queues:
    def __init__(self, stripes: int, concurrency: int) -> None:
        self.per_user = [asyncio.Lock() for _ in range(stripes)]
        self.running = asyncio.Semaphore(concurrency)


class CreditGate:
    default_concurrency = 8

    def __init__(self, concurrency: int = default_concurrency, stripes: int = 64) -> None:
        self.concurrency = concurrency
        self.stripes = stripes
        # asyncio primitives belong to one event loop; an app may meet several (tests).
        self._by_loop: WeakKeyDictionary[asyncio.AbstractEventLoop, _Queues] = WeakKeyDictionary()

    @asynccontextmanager
    async def admit(self, user_id: int) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        queues = self._by_loop.get(loop)
        if queues is None:
            queues = self._by_loop[loop] = _Queues(self.stripes, self.concurrency)
        # The user's turn first: a credit waiting for its user holds no running slot.
        async with queues.per_user[user_id % self.stripes], queues.running:
            yield
