"""Console output: `say()` for lines, `step()` for named, timed progress steps."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

_START = time.monotonic()


class StackError(RuntimeError):
    """A failure to report to the user without a traceback."""


def say(message: str = "") -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def elapsed() -> float:
    return time.monotonic() - _START


@contextmanager
def step(name: str) -> Iterator[None]:
    """Print `name`, run the block, then its outcome and duration."""
    began = time.monotonic()
    sys.stdout.write(f"[{elapsed():6.1f}s] {name} ... ")
    sys.stdout.flush()
    try:
        yield
    except BaseException:
        say(f"FAILED ({time.monotonic() - began:.1f}s)")
        raise
    say(f"ok ({time.monotonic() - began:.1f}s)")


def tail(path: str, lines: int = 40) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return f"(no log at {path})\n"
