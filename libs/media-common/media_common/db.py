"""Engine and session-per-request: the dependency commits on success, rolls back on error."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from media_common.errors import AppError
from media_common.settings import ServiceSettings


class Database:
    """One engine and session factory per app instance (tests build several in a process)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.engine: Engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_pre_ping=True,
            pool_recycle=1800,
            connect_args={"connect_timeout": 5, "application_name": settings.service_name},
        )
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Iterator[Session]:
        """FastAPI dependency: one transaction per request, committed when the request
        succeeds or fails with an `AppError` that keeps its changes, else rolled back."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except AppError as exc:
                session.commit() if exc.keeps_changes else session.rollback()
                raise
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
