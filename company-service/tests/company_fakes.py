"""A fake user-service for the company-service suite: founders and the access feed.

A real HTTP server in a thread, answering what company-service asks user-service:
`PUT/DELETE /internal/v1/users/founders/{company_id}` and the access feed. Imported by
conftest.py (the folder is put on sys.path; the module name is unique across suites).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

from media_common.access import USER_FEED_PATH
from media_common.testing_http import LoopbackServer, answer_json


def founder(email: str | None = None) -> dict[str, str]:
    """The `admin` part of a company creation, with a random email."""
    return {
        "email": email or f"admin-{uuid.uuid4().hex[:12]}@example.com",
        "password": "s3cret-pass",
    }


_FOUNDER = re.compile(r"/internal/v1/users/founders/(\d+)")


class FakeUserService:
    """`founders` maps company id → the admin made; `cancelled` holds cancelled foundings;
    `taken` emails answer 409; `down` drops every founder call (503 for company-service);
    `changed_users` is the access feed."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.founders: dict[int, dict[str, Any]] = {}
        self.cancelled: set[int] = set()
        self.taken: set[str] = set()
        self.down = False
        self.changed_users: dict[int, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self._next_user = 10_000
        self._http = LoopbackServer(self.handle, ("GET", "PUT", "DELETE"))
        self.url = self._http.url

    def change_user(self, user_id: int, company_id: int, role: str, deleted: bool = False) -> None:
        self.changed_users[user_id] = {
            "id": user_id,
            "company_id": company_id,
            "role": role,
            "deleted": deleted,
        }

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self._answer(request, 401, {"code": "UNAUTHORIZED"})
            return
        if request.path == USER_FEED_PATH:
            self._answer(request, 200, {"users": list(self.changed_users.values())})
            return
        match = _FOUNDER.fullmatch(request.path)
        if match is None:
            self._answer(request, 404, {"code": "NOT_FOUND"})
            return
        if self.down:
            request.close_connection = True
            request.connection.close()
            return
        company_id = int(match[1])
        with self.lock:
            if request.command == "DELETE":
                self.cancelled.add(company_id)
                self.founders.pop(company_id, None)
                self._answer(request, 204, None)
                return
            body = json.loads(request.rfile.read(int(request.headers["Content-Length"])))
            if company_id in self.cancelled or body["email"] in self.taken:
                self._answer(request, 409, {"code": "CONFLICT", "message": "taken"})
                return
            self._next_user += 1
            admin = {
                "id": self._next_user,
                "email": body["email"],
                "name": body.get("name"),
                "company_id": company_id,
                "role": "admin",
                "points": 0,
                "created_at": "2026-12-02T12:00:00+00:00",
                "updated_at": "2026-12-02T12:00:00+00:00",
            }
            self.founders[company_id] = admin
            self.taken.add(body["email"])
        self._answer(request, 201, admin)

    _answer = staticmethod(answer_json)

    def close(self) -> None:
        self._http.close()
