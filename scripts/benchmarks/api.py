"""The few public-API calls the benchmarks need to set up their data."""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

PASSWORD = "bench-password-" + secrets.token_hex(4)


class ApiError(RuntimeError):
    pass


def _check(response: requests.Response, expected: int) -> Any:
    if response.status_code != expected:
        raise ApiError(
            f"{response.request.method} {response.url}: HTTP {response.status_code}, "
            f"expected {expected}: {response.text[:500]}"
        )
    return response.json() if response.content else None


@dataclass
class Tenant:
    """A fresh company with an admin logged in."""

    base_url: str
    company_id: int
    admin_id: int
    access_token: str
    session: requests.Session

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def add_user(self) -> int:
        """A member, invited by the admin (contract revision 2: the only way to join)."""
        return int(self.add_member()["id"])

    def add_member(self) -> dict[str, Any]:
        """A member invited and signed up; the user, with its `access_token`."""
        email = f"bench-{secrets.token_hex(6)}@bench.example.com"
        invitation = _check(
            self.session.post(
                f"{self.base_url}/api/v1/invitations", json={"email": email}, headers=self.auth
            ),
            201,
        )
        body = {"invitation_token": invitation["token"], "password": PASSWORD}
        user: dict[str, Any] = _check(
            self.session.post(f"{self.base_url}/api/v1/users", json=body), 201
        )
        tokens = _check(
            self.session.post(
                f"{self.base_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            ),
            200,
        )
        user["access_token"] = tokens["access_token"]
        return user

    def set_paid(self) -> None:
        expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        _check(
            self.session.put(
                f"{self.base_url}/api/v1/companies/{self.company_id}/plan",
                json={"plan": "paid", "expires_at": expires},
                headers=self.auth,
            ),
            200,
        )

    def upload(self, path: Path, title: str) -> dict[str, Any]:
        """Upload with curl, which streams the file instead of building it in memory."""
        result = subprocess.run(
            [
                "curl", "-sS", "--fail-with-body",
                "-H", f"Authorization: Bearer {self.access_token}",
                "-F", f"file=@{path};type=video/mp4", "-F", f"title={title}",
                f"{self.base_url}/api/v1/videos",
            ],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ApiError(f"upload failed: {result.stderr.strip()} {result.stdout[:500]}")
        video: dict[str, Any] = json.loads(result.stdout)
        return video


def new_tenant(base_url: str) -> Tenant:
    """A company and its first admin: in one call (contract revision 2), or, on a stack
    that still has the revision-1 flow, the company first and an open sign-up into it."""
    session = requests.Session()
    name = f"bench-{secrets.token_hex(6)}"
    email = f"bench-admin-{secrets.token_hex(6)}@bench.example.com"
    admin_body = {"email": email, "password": PASSWORD}
    created = session.post(f"{base_url}/api/v1/companies", json={"name": name, "admin": admin_body})
    if created.status_code == 422 and "admin" in created.text:  # revision 1: no "admin" field
        created = session.post(f"{base_url}/api/v1/companies", json={"name": name})
    company = _check(created, 201)
    admin = company.get("admin") or _check(
        session.post(f"{base_url}/api/v1/users", json={**admin_body, "company_id": company["id"]}),
        201,
    )
    tokens = _check(
        session.post(f"{base_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}),
        200,
    )
    return Tenant(base_url, int(company["id"]), int(admin["id"]), tokens["access_token"], session)
