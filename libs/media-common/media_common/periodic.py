"""One background loop for every service: a daemon thread that runs a round of work every
`interval` seconds until it is stopped.

A round returns True when more work is waiting (a full batch): the next one starts at once.
A round that raises is logged and the loop goes on, so a database or network blip never
ends the sweeping, delivering or polling for good. `wake()` starts the next round now (a
new outbox row, a new delivery) instead of at the end of the interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        round_: Callable[[], bool],
        interval: float,
        *,
        wait_first: bool = False,
    ) -> None:
        """`name` names the thread and the log lines; `wait_first` waits one interval
        before the first round (work that is pointless right at start-up). An interval
        of 0 or less disables the loop (start() does nothing)."""
        self.name = name
        self.interval = interval
        self._round = round_
        self._wait_first = wait_first
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self.interval <= 0:
            logger.info("%s disabled (interval %s)", self.name, self.interval)
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _pause(self) -> None:
        self._wake.wait(self.interval)
        self._wake.clear()

    def _run(self) -> None:
        if self._wait_first:
            self._pause()
        while not self._stop.is_set():
            try:
                more = self._round()
            except Exception:
                logger.exception("%s: round failed", self.name)
                more = False
            if not more and not self._stop.is_set():
                self._pause()
