"""The orphan sweeper: objects without a row go, rows' objects and young objects stay."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from video_testkit import SyncDb, Tenant, fixture_bytes

from media_common.db import Database
from media_common.storage import LocalStorage
from media_common.testing import run_with_database
from video_service.settings import Settings
from video_service.sweeper import LOCK_NAME, OrphanSweeper


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_sweeper_removes_only_old_orphans(
    client: TestClient, tenant: Tenant, upload: Callable[..., Any], tmp_path: Path
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    storage: LocalStorage = runtime.storage
    video = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()
    deleted = upload(client, tenant.admin, fixture_bytes("tiny.mp4")).json()
    client.delete(f"/api/v1/videos/{deleted['id']}", headers=tenant.admin)
    for key in ("videos/1/old-orphan.mp4", "videos/1/young-orphan.mp4", "other/keep.mp4"):
        storage.put_stream(key, io.BytesIO(b"x"), 1, "video/mp4")
    crashed = storage.root / "videos/1/partial-abc.tmp"  # a writer died mid-upload
    crashed.write_bytes(b"half")
    for path in storage.root.rglob("*"):
        if path.is_file() and "young" not in path.name:
            _age(path, 7200)
    sweeper = OrphanSweeper(
        runtime.db.sessionmaker, storage, interval_seconds=60, grace_seconds=3600
    )
    assert client.portal.call(sweeper.run_once) == 2  # type: ignore[union-attr]
    remaining = sorted(k for k, _ in storage.list_keys(""))
    assert "videos/1/old-orphan.mp4" not in remaining
    assert "videos/1/partial-abc.tmp" not in remaining
    assert "videos/1/young-orphan.mp4" in remaining
    assert "other/keep.mp4" in remaining
    assert len([k for k in remaining if k.startswith(f"videos/{tenant.company_id}/")]) == 2
    assert client.get(f"/api/v1/videos/{video['id']}/stream", headers=tenant.member).is_success


def sweep(settings: Settings, storage: LocalStorage) -> int | None:
    """One round of a sweeper of another replica (own engine and event loop)."""

    async def work(database: Database) -> int | None:
        sweeper = OrphanSweeper(
            database.sessionmaker, storage, interval_seconds=60, grace_seconds=0
        )
        return await sweeper.run_once()

    return run_with_database(settings, work)


def test_only_one_replica_sweeps_at_a_time(settings: Settings, db: SyncDb, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "sweep")
    with db.sessionmaker.begin() as holder:
        holder.execute(select(func.pg_advisory_xact_lock(func.hashtext(LOCK_NAME))))
        assert sweep(settings, storage) is None
    assert sweep(settings, storage) == 0


def test_sweeper_loop_runs_on_its_interval(settings: Settings, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "sweep")
    storage.put_stream("videos/1/orphan.mp4", io.BytesIO(b"x"), 1, "video/mp4")

    async def work(database: Database) -> None:
        sweeper = OrphanSweeper(
            database.sessionmaker, storage, interval_seconds=0.05, grace_seconds=0
        )
        sweeper.start()
        try:
            deadline = time.monotonic() + 5
            while storage.stat("videos/1/orphan.mp4") is not None:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        finally:
            await sweeper.stop()

    run_with_database(settings, work)
