"""The async background loop: rounds, a full batch going on at once, a failing round that
does not end the loop, wake(), wake_after(), wait_first, a disabled loop, a graceful stop()."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from media_common.periodic import Periodic

LONG = 3600.0  # an interval no test waits out: a second round must come from wake or "more"


class Rounds:
    def __init__(self, results: list[bool | Exception], *, hold: float = 0.0) -> None:
        self.results = results
        self.hold = hold
        self.count = 0
        self.finished = 0
        self.reached: dict[int, asyncio.Event] = {}

    def at(self, count: int) -> asyncio.Event:
        return self.reached.setdefault(count, asyncio.Event())

    async def __call__(self) -> bool:
        self.count += 1
        self.at(self.count).set()
        result = self.results[self.count - 1] if self.count <= len(self.results) else False
        await asyncio.sleep(self.hold)
        self.finished += 1
        if isinstance(result, Exception):
            raise result
        return result


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 10))


def test_a_full_batch_goes_on_at_once_and_a_failure_does_not_end_the_loop() -> None:
    async def scenario() -> None:
        rounds = Rounds([True, RuntimeError("database blip"), False])
        loop = Periodic("test-loop", rounds, LONG)
        loop.start()
        await rounds.at(2).wait()  # a full batch: no pause before the next round
        loop.wake()  # the failed round paused; wake starts the third
        await rounds.at(3).wait()
        assert loop.running
        await loop.stop()
        assert not loop.running and rounds.count == 3

    run(scenario)


def test_wait_first_pauses_before_the_first_round() -> None:
    async def scenario() -> None:
        rounds = Rounds([])
        loop = Periodic("test-wait-first", rounds, LONG, wait_first=True)
        loop.start()
        await asyncio.sleep(0.05)
        assert rounds.count == 0
        loop.wake()
        await rounds.at(1).wait()
        await loop.stop()

    run(scenario)


def test_rounds_repeat_every_interval() -> None:
    async def scenario() -> None:
        rounds = Rounds([])
        loop = Periodic("test-interval", rounds, 0.01)
        loop.start()
        await rounds.at(5).wait()
        await loop.stop()

    run(scenario)


def test_wake_after_starts_a_round_when_the_delay_is_up() -> None:
    async def scenario() -> None:
        rounds = Rounds([])
        loop = Periodic("test-wake-after", rounds, LONG)
        loop.start()
        await rounds.at(1).wait()
        begun = asyncio.get_running_loop().time()
        loop.wake_after(0.05)
        await rounds.at(2).wait()  # LONG is never waited out: the timer woke it
        assert asyncio.get_running_loop().time() - begun >= 0.04  # not (much) before
        await loop.stop()

    run(scenario)


def test_an_interval_of_zero_disables_it() -> None:
    async def scenario() -> None:
        rounds = Rounds([])
        loop = Periodic("test-disabled", rounds, 0)
        loop.start()
        assert not loop.running
        await loop.stop()
        assert rounds.count == 0

    run(scenario)


def test_stop_lets_a_round_in_progress_finish() -> None:
    async def scenario() -> None:
        rounds = Rounds([], hold=0.2)
        loop = Periodic("test-stop", rounds, LONG)
        loop.start()
        await rounds.at(1).wait()
        await loop.stop(timeout=5)
        assert rounds.finished == 1 and rounds.count == 1 and not loop.running

    run(scenario)


def test_stop_cancels_a_round_that_outlasts_the_timeout() -> None:
    async def scenario() -> None:
        rounds = Rounds([], hold=LONG)
        loop = Periodic("test-stuck", rounds, LONG)
        loop.start()
        await rounds.at(1).wait()
        await loop.stop(timeout=0.05)
        assert rounds.finished == 0 and not loop.running

    run(scenario)
