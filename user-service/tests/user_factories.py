"""Test helpers of the user-service suite: a fake company-service and data factories.

Imported by conftest.py and the tests (the folder is put on sys.path by conftest.py; the
module name is unique across the repository's suites).
"""

from __future__ import annotations

import re
import socket
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from media_common.access import COMPANY_FEED_PATH
from media_common.testing_http import LoopbackServer, answer_json

INTERNAL_TOKEN = "user-tests-internal-token"
PASSWORD = "correct horse battery"


class FakeCompanyService:
    """company-service's internal lookup and its access feed of inactive companies,
    answered from a dict (another team's service)."""

    def __init__(self, token: str) -> None:
        self.statuses: dict[int, str] = {}
        self._next_id = 1_000
        self._lock = threading.Lock()
        self._token = token
        self._http = LoopbackServer(self._handle, ("GET",))
        self.url = self._http.url

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        match = re.fullmatch(r"/internal/v1/companies/(\d+)", request.path)
        if request.headers.get("Authorization") != f"Bearer {self._token}":
            answer_json(request, 401, {"code": "UNAUTHORIZED"})
        elif request.path == COMPANY_FEED_PATH:
            inactive = [c for c, status in self.statuses.items() if status == "inactive"]
            answer_json(request, 200, {"ids": inactive})
        elif match is None or int(match[1]) not in self.statuses:
            answer_json(request, 404, {"code": "NOT_FOUND"})
        else:
            company_id = int(match[1])
            answer_json(request, 200, {"id": company_id, "status": self.statuses[company_id]})

    def add(self, status: str = "active") -> int:
        with self._lock:
            self._next_id += 1
            self.statuses[self._next_id] = status
            return self._next_id

    def close(self) -> None:
        self._http.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def random_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


@dataclass
class Account:
    id: int
    email: str
    company_id: int
    role: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


class Factory:
    """Small data factory: companies in the fake, users through the API (the founder by
    the internal founding call, everyone else by invitation)."""

    def __init__(self, client: TestClient, companies: FakeCompanyService) -> None:
        self.client = client
        self.companies = companies
        self._admins: dict[int, str] = {}  # company id -> its founder's access token

    def company(self, status: str = "active") -> int:
        return self.companies.add(status)

    def founder(self, company_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """The company's founding admin, as company-service's founding creates it."""
        company_id = company_id or self.company()
        body = {"email": random_email(), "password": PASSWORD, **fields}
        response = self.client.put(founder_url(company_id), json=body, headers=SERVICE)
        assert response.status_code == 201, response.text
        self._admins[company_id] = self.login(body["email"])["access_token"]
        return dict(response.json())

    def invite(
        self, company_id: int, email: str | None = None, role: str = "member"
    ) -> dict[str, Any]:
        """An invitation by the company's founder (made first when missing)."""
        if company_id not in self._admins:
            self.founder(company_id)
        response = self.client.post(
            "/api/v1/invitations",
            json={"email": email or random_email(), "role": role},
            headers=bearer(self._admins[company_id]),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def signup(self, company_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """A new user: the company's founder (admin) first, then invited members."""
        company_id = company_id or self.company()
        if company_id not in self._admins:
            return self.founder(company_id, **fields)
        email = fields.pop("email", None)
        invitation = self.invite(company_id, email)
        body = {"invitation_token": invitation["token"], "password": PASSWORD, **fields}
        response = self.client.post("/api/v1/users", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def account(self, company_id: int | None = None, **fields: Any) -> Account:
        user = self.signup(company_id, **fields)
        tokens = self.login(user["email"])
        return Account(
            user["id"],
            user["email"],
            user["company_id"],
            user["role"],
            tokens["access_token"],
            tokens["refresh_token"],
        )

    def team(self) -> tuple[Account, Account]:
        """A fresh company with its admin and one member."""
        admin = self.account()
        member = self.account(admin.company_id)
        assert (admin.role, member.role) == ("admin", "member")
        return admin, member


SERVICE = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


def founder_url(company_id: int) -> str:
    return f"/internal/v1/users/founders/{company_id}"


def credit_url(user_id: int | str) -> str:
    return f"/internal/v1/users/{user_id}/points"


def credit(
    client: TestClient, user_id: int, amount: int = 10, key: str | None = None, **body: Any
) -> Any:
    """POST a credit as video-service would (a fresh Idempotency-Key unless given)."""
    return client.post(
        credit_url(user_id),
        json={"amount": amount, "reason": "video_view", "reference": "video:1", **body},
        headers={**SERVICE, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def ledger_sum(engine: Engine, user_id: int) -> tuple[int, int, int]:
    """(balance, sum of the ledger, number of ledger rows)"""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT u.points, coalesce(sum(l.amount), 0), count(l.id) FROM identity.users u"
                " LEFT JOIN identity.point_ledger l ON l.user_id = u.id"
                " WHERE u.id = :id GROUP BY u.points"
            ),
            {"id": user_id},
        ).one()
    return int(row[0]), int(row[1]), int(row[2])
