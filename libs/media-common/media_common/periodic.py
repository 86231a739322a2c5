"""One background loop for every service: an asyncio task on the app's event loop that
runs a round of work every `interval` seconds until it is stopped.

A round returns True when more work is waiting (a full batch): the next one starts at once.
A round that raises is logged and the loop goes on, so a database or network blip never
ends the sweeping, delivering or polling for good. `wake()` starts the next round now (a
new outbox row, a new delivery) instead of at the end of the interval; `wake_after(d)`
does so `d` seconds from now (a retry that falls due before the next round).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        round_: Callable[[], Awaitable[bool]],
        interval: float,
        *,
        wait_first: bool = False,
    ) -> None:
        """`name` names the task and the log lines; `wait_first` waits one interval
        before the first round (work that is pointless right at start-up). An interval
        of 0 or less disables the loop (start() does nothing)."""
        self.name = name
        self.interval = interval
        self._round = round_
        self._wait_first = wait_first
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Start on the running event loop."""
        if self.interval <= 0:
            logger.info("%s disabled (interval %s)", self.name, self.interval)
            return
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self, timeout: float = 10.0) -> None:
        """Let a round in progress finish (up to `timeout`, then cancel it) and end."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def wake_after(self, delay: float) -> None:
        """Start a round `delay` seconds from now, unless one starts earlier anyway."""
        if self._task is not None and delay < self.interval:
            asyncio.get_running_loop().call_later(max(delay, 0.0), self.wake)

    async def _pause(self) -> None:
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.interval)
        self._wake.clear()

    async def _run(self) -> None:
        if self._wait_first:
            await self._pause()
        while not self._stopping:
            try:
                more = await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s: round failed", self.name)
                more = False
            if not more and not self._stopping:
                await self._pause()
