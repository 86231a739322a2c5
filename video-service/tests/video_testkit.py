"""Test kit of the video-service suite: fakes of the services it calls (real HTTP servers
in threads), tenants, fixture files. A uniquely named module: one pytest process imports
every suite."""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from media_common.access import COMPANY_FEED_PATH, USER_FEED_PATH
from media_common.settings import ServiceSettings
from media_common.storage import ObjectStorage
from media_common.testing_http import LoopbackServer, answer_json
from video_service.models import OutboxEntry

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class SyncDb:
    """The test database through psycopg2, for arranging and checking rows from test code
    (the app's own access is async, on its event loop)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.engine = create_engine(settings.database_url, pool_size=5)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


def sibling_client(client: TestClient, **options: Any) -> TestClient:
    """Another client of the same app (other options), on the same event loop."""
    sibling = TestClient(client.app, **options)
    sibling.portal = client.portal
    return sibling


@dataclass
class Tenant:
    """A company with an admin and a member (ids are random: the rows live elsewhere)."""

    company_id: int
    admin_id: int
    member_id: int
    admin: dict[str, str]
    member: dict[str, str]


class _FakeServer:
    def __init__(self) -> None:
        self._http = LoopbackServer(self.handle, ("GET", "POST"))
        self.url = self._http.url
        self.lock = threading.Lock()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    reply = staticmethod(answer_json)

    def close(self) -> None:
        self._http.close()


class FakeCompanyService(_FakeServer):
    """GET /internal/v1/companies/{id} → effective_plan from `plans`; `failing` → 500;
    the access feed of deactivated companies from `inactive`."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.plans: dict[int, str] = {}
        self.inactive: set[int] = set()
        self.failing = False

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.reply(request, 401, {"code": "UNAUTHORIZED"})
            return
        if request.path == COMPANY_FEED_PATH:
            self.reply(request, 200, {"ids": sorted(self.inactive)})
            return
        if self.failing:
            self.reply(request, 500, {"code": "INTERNAL"})
            return
        company_id = int(request.path.rsplit("/", 1)[-1])
        plan = self.plans.get(company_id)
        if plan is None:
            self.reply(request, 404, {"code": "NOT_FOUND"})
            return
        self.reply(request, 200, {"id": company_id, "plan": plan, "effective_plan": plan})


class FakePointsService(_FakeServer):
    """POST /internal/v1/users/{id}/points like user-service: 201 first, 200 for a replay;
    and .../points/batch: 200 with each credit's outcome, as the single endpoint's.

    `script_for[key]` (or `script`, for any key) holds statuses to answer first (409, 500,
    404 …), per credit in a batch too; `batch_status` answers every batch with that status
    instead (a user-service without the batch endpoint); `refuse` drops connections,
    `refuse_batches` those of batches only.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.script: deque[int] = deque()
        self.script_for: dict[str, deque[int]] = {}
        self.batch_status: int | None = None
        self.refuse = False
        self.refuse_batches = False
        self.calls: list[tuple[str, int, dict[str, Any]]] = []
        self.batches: list[list[str]] = []
        self.credited: Counter[str] = Counter()
        self.request_ids: dict[str, str | None] = {}
        self.changed_users: dict[int, dict[str, Any]] = {}

    def change_user(self, user_id: int, company_id: int, role: str, deleted: bool = False) -> None:
        """Publish a role change or deletion in the access feed."""
        self.changed_users[user_id] = {
            "id": user_id,
            "company_id": company_id,
            "role": role,
            "deleted": deleted,
        }

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        if request.path == USER_FEED_PATH:  # the access feed: users changed or deleted
            self.reply(request, 200, {"users": list(self.changed_users.values())})
            return
        if self.refuse or (self.refuse_batches and request.path.endswith("/points/batch")):
            request.close_connection = True
            request.connection.close()
            return
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.reply(request, 401, {"code": "UNAUTHORIZED"})
            return
        length = int(request.headers.get("Content-Length", "0"))
        body = json.loads(request.rfile.read(length))
        if request.path.endswith("/points/batch"):
            self._batch(request, int(request.path.split("/")[-3]), body)
            return
        key = request.headers.get("Idempotency-Key", "")
        with self.lock:
            self.request_ids[key] = request.headers.get("X-Request-ID")
            status = self._credit(key, int(request.path.split("/")[-2]), body)
        self.reply(request, status, {"status": status})

    def _batch(self, request: BaseHTTPRequestHandler, user_id: int, body: Any) -> None:
        if self.batch_status is not None:
            self.reply(request, self.batch_status, {"code": "NOT_FOUND"})
            return
        with self.lock:
            self.batches.append([c["idempotency_key"] for c in body["credits"]])
            results = [
                {"idempotency_key": c["idempotency_key"], "balance": None,
                 "status": self._credit(c["idempotency_key"], user_id, c)}
                for c in body["credits"]
            ]  # fmt: skip
        self.reply(request, 200, {"results": results})

    def _credit(self, key: str, user_id: int, body: dict[str, Any]) -> int:
        """One credit's status (under self.lock)."""
        self.calls.append((key, user_id, body))
        scripted = self.script_for.get(key) or self.script
        status = scripted.popleft() if scripted else None
        if status is None:
            status = 200 if self.credited[key] else 201
            self.credited[key] += 1
        return status

    def calls_for(self, key: str) -> int:
        return sum(1 for k, _, _ in self.calls if k == key)


def outbox_rows(db: SyncDb, keys: list[str]) -> list[OutboxEntry]:
    with db.sessionmaker() as session:
        query = select(OutboxEntry).where(OutboxEntry.idempotency_key.in_(keys))
        return list(session.scalars(query.order_by(OutboxEntry.id)))


def add_videos(client: TestClient, tenant: Tenant, upload: Any, count: int) -> list[int]:
    ids = []
    for n in range(count):
        response = upload(client, tenant.admin, fixture_bytes("tiny.mp4"), title=f"Video {n}")
        assert response.status_code == 201
        ids.append(response.json()["id"])
    return ids


def stored_keys(client: TestClient) -> list[str]:
    storage: ObjectStorage = client.app.state.runtime.storage  # type: ignore[attr-defined]
    return sorted(key for key, _ in storage.list_keys("videos/"))
