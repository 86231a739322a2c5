"""The shape of every async service's composition root (`<service>/runtime.py`) and the
app lifespan that runs it.

A service's `Runtime` is built once per `create_app` from its settings: the database, the
token verifier, the access state, its clients and its background loops. The lifespan
starts the background work on the app's event loop before the first request, and stops,
then closes, everything after the last one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from fastapi import FastAPI


class ServiceRuntime(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def close(self) -> None: ...


def runtime_lifespan(
    runtime: ServiceRuntime,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            try:
                await runtime.stop()
            finally:
                await runtime.close()

    return lifespan
