"""The job queue: procrastinate on PostgreSQL, its tables in the `video` schema.

The API and the worker defer queue jobs through the SQLAlchemy connector on the request's
(or job's) own connection, so a media job row and its queue job commit together. The
worker runs the queue with procrastinate's psycopg connector (see `media/worker_app.py`).
The queue carries only the media job id; the truth is the `media_jobs` row.
"""

from __future__ import annotations

from typing import Any

import procrastinate
from procrastinate.contrib.sqlalchemy import SQLAlchemyPsycopg2Connector
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from video_service.models import SCHEMA, MediaJob

QUEUE = "media"
TASK_NAME = "video_service.run_media_job"


# procrastinate's SQL names its tables, types and functions without a schema: every
# connection of the service looks in `video` first, whatever the role's default.
SEARCH_PATH_OPTION = f"-c search_path={SCHEMA}"


def use_video_schema(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection: Any, _: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {SCHEMA}")
        dbapi_connection.commit()


class JobQueue:
    def __init__(self, engine: Engine) -> None:
        use_video_schema(engine)
        self.app = procrastinate.App(connector=SQLAlchemyPsycopg2Connector())
        self.app.open(engine)

    def push(self, session: Session, job: MediaJob) -> int:
        """Defer the queue job of `job` inside the session's transaction; its id."""
        deferrer = self.app.configure_task(
            TASK_NAME,
            queue=QUEUE,
            lock=f"media:{job.video_id}:{job.type}",
            connection=session.connection(),
        )
        return int(deferrer.defer(media_job_id=job.id))

    def withdraw(self, session: Session, queue_job_id: int) -> None:
        """Cancel a queue job that has not started (a started one sees its row canceled)."""
        self.app.job_manager.cancel_job_by_id(
            queue_job_id, abort=True, connection=session.connection()
        )

    def depth(self, session: Session) -> int:
        """Queue jobs waiting for a worker."""
        row = session.connection().exec_driver_sql(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s AND status = 'todo'",
            (QUEUE,),
        )
        return int(row.scalar_one())

    def close(self) -> None:
        self.app.close()
