"""The job queue: procrastinate on PostgreSQL, its tables in the `video` schema.

The API and the worker defer queue jobs on the caller's own AsyncSession connection
(asyncpg, through `SessionConnector`), so a media job row and its queue job commit
together. The worker runs the queue with procrastinate's psycopg connector (see
`media/worker_app.py`). The queue carries only the media job id; the truth is the
`media_jobs` row.
"""

from __future__ import annotations

import json
import re
from typing import Any

import procrastinate
from procrastinate.connector import BaseAsyncConnector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from video_service.models import SCHEMA, MediaJob

QUEUE = "media"
TASK_NAME = "video_service.run_media_job"


# procrastinate's SQL names its tables, types and functions without a schema: every
# connection of the service looks in `video` first, whatever the role's default.
SEARCH_PATH_OPTION = f"-c search_path={SCHEMA}"


def use_video_schema(engine: AsyncEngine) -> None:
    """Every new connection of `engine` gets `search_path = video` (once, at connect)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _search_path(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.run_async(
            lambda connection: connection.execute(f"SET search_path TO {SCHEMA}")
        )


_PYFORMAT = re.compile(r"%\((\w+)\)s")


def _as_asyncpg(query: str, arguments: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """procrastinate's `%(name)s` queries as asyncpg's `$n`, with the values in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PYFORMAT.sub(number, query), tuple(_value(arguments[name]) for name in names)


def _value(value: Any) -> Any:
    # JSON (job arguments) travels as text: SQLAlchemy's asyncpg codec for jsonb takes a
    # string. Composite values (a job to defer) are tuples, arrays lists.
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, tuple):
        return tuple(_value(item) for item in value)
    if isinstance(value, list):
        return [_value(item) for item in value]
    return value


class SessionConnector(BaseAsyncConnector):
    """Runs procrastinate's queries on a connection the caller passes (an AsyncConnection
    inside the caller's transaction); it has no pool of its own."""

    async def open_async(self, pool: Any = None) -> None:
        return None

    async def close_async(self) -> None:
        return None

    async def execute_query_one_async_with_connection(
        self, connection: AsyncConnection, query: str, **arguments: Any
    ) -> dict[str, Any]:
        rows = await self.execute_query_all_async_with_connection(connection, query, **arguments)
        return rows[0]

    async def execute_query_all_async_with_connection(
        self, connection: AsyncConnection, query: str, **arguments: Any
    ) -> list[dict[str, Any]]:
        sql, values = _as_asyncpg(query, arguments)
        result = await connection.exec_driver_sql(sql, values)
        return [dict(row) for row in result.mappings()]


class JobQueue:
    def __init__(self, engine: AsyncEngine) -> None:
        use_video_schema(engine)
        self.app = procrastinate.App(connector=SessionConnector())

    async def push(self, session: AsyncSession, job: MediaJob) -> int:
        """Defer the queue job of `job` inside the session's transaction; its id."""
        deferrer = self.app.configure_task(
            TASK_NAME,
            queue=QUEUE,
            lock=f"media:{job.video_id}:{job.type}",
            connection=await session.connection(),
        )
        return int(await deferrer.defer_async(media_job_id=job.id))

    async def withdraw(self, session: AsyncSession, queue_job_id: int) -> None:
        """Cancel a queue job that has not started. A started one is left alone: it sees
        its row canceled at its next progress write (no abort request, which would make
        procrastinate cancel the worker's task in the middle of its bookkeeping)."""
        await self.app.job_manager.cancel_job_by_id_async(
            queue_job_id, abort=False, connection=await session.connection()
        )

    async def depth(self, session: AsyncSession) -> int:
        """Queue jobs waiting for a worker."""
        connection = await session.connection()
        result = await connection.exec_driver_sql(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = $1 AND status = 'todo'",
            (QUEUE,),
        )
        return int(result.scalar_one())
