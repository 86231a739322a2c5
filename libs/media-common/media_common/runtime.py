"""The shape of every service's composition root (`<service>/runtime.py`) and the app
lifespan that runs it.

A service's `Runtime` is built once per `create_app` from its settings: the database, the
token verifier, the access state, its clients and its background loops. The lifespan
starts the background work before the first request and stops, then closes, everything
after the last one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from fastapi import FastAPI


class ServiceRuntime(Protocol):
    def start_background(self) -> None: ...

    def stop_background(self) -> None: ...

    def close(self) -> None: ...


def runtime_lifespan(
    runtime: ServiceRuntime,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    # Starting and stopping do blocking I/O (the first access-feed read, thread joins):
    # in a worker thread, not on the event loop.
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(runtime.start_background)
        try:
            yield
        finally:
            await asyncio.to_thread(runtime.stop_background)
            await asyncio.to_thread(runtime.close)

    return lifespan
