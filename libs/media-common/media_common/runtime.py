"""The shape of every async service's composition root (`<service>/runtime.py`) and the
app lifespan that runs it.

A service's `Runtime` is built once per `create_app` from its settings: the database, the
token verifier, the access state, its clients and its background loops. The lifespan
starts the background work on the app's event loop before the first request, and stops,
then closes, everything after the last one.

Once started, the objects alive then (modules, the app, its routes, models and settings:
hundreds of thousands) are moved out of the cyclic garbage collector's reach with
`gc.freeze()`. They live as long as the process, and without it every full collection
walks them all again: ~40 ms with the event loop stopped, a few times a minute under load,
which was the whole p99 of a small request.
"""

from __future__ import annotations

import gc
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
        gc.freeze()
        try:
            yield
        finally:
            try:
                await runtime.stop()
            finally:
                await runtime.close()

    return lifespan
