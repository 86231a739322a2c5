"""A thin client of the public API for system tests: factories with random names."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def sample_video(suffix: str = ".mp4") -> Path:
    """A tiny real video committed with the video-service tests."""
    found = sorted((ROOT / "video-service" / "tests" / "fixtures").glob(f"*{suffix}"))
    if not found:
        raise FileNotFoundError(f"no {suffix} fixture in video-service/tests/fixtures")
    return found[0]


@dataclass
class Member:
    id: int
    email: str
    company_id: int
    role: str
    access_token: str
    refresh_token: str
    headers: dict[str, str] = field(default_factory=dict)


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()
        # company id -> its founding admin's email: invitations are made in their name
        self._founders: dict[int, str] = {}
        self._admin_tokens: dict[int, str] = {}

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, f"{self.base}{path}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def create_company(
        self, name: str | None = None, admin_email: str | None = None
    ) -> dict[str, Any]:
        """A new company with its founding admin (the answer's `"admin"`)."""
        admin = {
            "email": admin_email or f"{unique('admin')}@example.com",
            "password": PASSWORD,
            "name": "Test Admin",
        }
        resp = self.post("/api/v1/companies", json={"name": name or unique("Co"), "admin": admin})
        assert resp.status_code == 201, resp.text
        company = resp.json()
        self._founders[company["id"]] = admin["email"]
        return company

    def invite(self, company_id: int, email: str | None = None, role: str = "member") -> str:
        """An invitation token from the company's founding admin."""
        headers = {"Authorization": f"Bearer {self._admin_token(company_id)}"}
        body = {"email": email or f"{unique('u')}@example.com", "role": role}
        resp = self.post("/api/v1/invitations", json=body, headers=headers)
        assert resp.status_code == 201, resp.text
        return str(resp.json()["token"])

    def _admin_token(self, company_id: int) -> str:
        if company_id not in self._admin_tokens:
            founder = self._founders.get(company_id)
            assert founder, f"company {company_id} was not created by this client"
            self._admin_tokens[company_id] = self.login(founder)["access_token"]
        return self._admin_tokens[company_id]

    def signup(self, company_id: int, email: str | None = None) -> dict[str, Any]:
        """A new member of the company, joined by invitation."""
        token = self.invite(company_id, email)
        body = {"invitation_token": token, "password": PASSWORD, "name": "Test User"}
        resp = self.post("/api/v1/users", json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        resp = self.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def member(self, company_id: int) -> Member:
        return self.logged_in(self.signup(company_id))

    def logged_in(self, user: dict[str, Any]) -> Member:
        tokens = self.login(user["email"])
        company_id = int(user["company_id"])
        return Member(
            id=user["id"],
            email=user["email"],
            company_id=company_id,
            role=user["role"],
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )

    def company_with_admin(self) -> tuple[dict[str, Any], Member]:
        company = self.create_company()
        admin = self.logged_in(company.pop("admin"))
        assert admin.role == "admin"
        return company, admin

    def upload(
        self, admin: Member, path: Path | None = None, title: str = "A video"
    ) -> dict[str, Any]:
        path = path or sample_video()
        with path.open("rb") as fh:
            resp = self.post(
                "/api/v1/videos",
                headers=admin.headers,
                files={"file": (path.name, fh, "application/octet-stream")},
                data={"title": title},
            )
        assert resp.status_code == 201, resp.text
        return resp.json()

    def points(self, member: Member) -> int:
        resp = self.get("/api/v1/users/me", headers=member.headers)
        assert resp.status_code == 200, resp.text
        return int(resp.json()["points"])

    def set_plan(self, admin: Member, plan: str, expires_at: str | None = None) -> None:
        body: dict[str, Any] = {"plan": plan}
        if expires_at:
            body["expires_at"] = expires_at
        resp = self.request(
            "PUT", f"/api/v1/companies/{admin.company_id}/plan", headers=admin.headers, json=body
        )
        assert resp.status_code == 200, resp.text


def assert_error(resp: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    body = resp.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "details", "request_id"}, body
    assert body["request_id"] == resp.headers.get("X-Request-ID"), (body, resp.headers)
    return body


def on_every_replica(check: Callable[[], bool], times: int = 8) -> Callable[[], bool]:
    """`check` held `times` times in a row: the gateway spreads the requests over every
    replica of a service, and each replica learns of a change on its own."""
    return lambda: all(check() for _ in range(times))


def eventually(check: Callable[[], bool], timeout: float = 5.0, what: str = "the change") -> float:
    """Poll `check` until it holds; the seconds it took. Fails after `timeout` seconds."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} did not take effect within {timeout} seconds")
        time.sleep(0.05)
    return time.monotonic() - started
