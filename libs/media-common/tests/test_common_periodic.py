"""The one background loop: rounds, a full batch going on at once, a failing round that
does not end the loop, wake(), wait_first, a disabled loop, stop()."""

from __future__ import annotations

import threading

from media_common.periodic import Periodic

LONG = 3600.0  # an interval no test waits out: a second round must come from wake or "more"


class Rounds:
    def __init__(self, results: list[bool | Exception]) -> None:
        self.results = results
        self.count = 0
        self.reached: dict[int, threading.Event] = {}
        self.lock = threading.Lock()

    def at(self, count: int) -> threading.Event:
        with self.lock:
            return self.reached.setdefault(count, threading.Event())

    def __call__(self) -> bool:
        with self.lock:
            self.count += 1
            self.reached.setdefault(self.count, threading.Event()).set()
            result = self.results[self.count - 1] if self.count <= len(self.results) else False
        if isinstance(result, Exception):
            raise result
        return result


def test_a_full_batch_goes_on_at_once_and_a_failure_does_not_end_the_loop() -> None:
    rounds = Rounds([True, RuntimeError("database blip"), False])
    loop = Periodic("test-loop", rounds, LONG)
    loop.start()
    try:
        assert rounds.at(2).wait(5)  # a full batch: no pause before the next round
        loop.wake()  # the failed round paused; wake starts the third
        assert rounds.at(3).wait(5)
        assert loop.running
    finally:
        loop.stop()
    assert not loop.running and rounds.count == 3


def test_wait_first_pauses_before_the_first_round() -> None:
    rounds = Rounds([])
    loop = Periodic("test-wait-first", rounds, LONG, wait_first=True)
    loop.start()
    try:
        assert not rounds.at(1).wait(0.2)
        loop.wake()
        assert rounds.at(1).wait(5)
    finally:
        loop.stop()


def test_rounds_repeat_every_interval() -> None:
    rounds = Rounds([])
    loop = Periodic("test-interval", rounds, 0.01)
    loop.start()
    try:
        assert rounds.at(5).wait(5)
    finally:
        loop.stop()


def test_an_interval_of_zero_disables_it() -> None:
    rounds = Rounds([])
    loop = Periodic("test-disabled", rounds, 0)
    loop.start()
    assert not loop.running
    loop.stop()
    assert rounds.count == 0


def test_stop_ends_a_paused_loop_at_once() -> None:
    rounds = Rounds([])
    loop = Periodic("test-stop", rounds, LONG)
    loop.start()
    assert rounds.at(1).wait(5)
    loop.stop(timeout=5)
    assert not loop.running and rounds.count == 1
