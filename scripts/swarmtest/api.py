"""A tenant of the deployed stack, made through the public API: a company, its admin, a
login, and a pool of uploaded videos that have never been streamed (each first stream
earns POINTS_PER_VIEW points)."""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

BASE_URL = os.environ.get("SWARM_BASE_URL", "http://127.0.0.1:80")
POINTS_PER_VIEW = int(os.environ.get("POINTS_PER_VIEW", "10"))
FIXTURE = Path(__file__).resolve().parents[2] / "video-service" / "tests" / "fixtures" / "tiny.mp4"


class ApiError(RuntimeError):
    pass


def expect(response: requests.Response, *statuses: int) -> dict[str, object]:
    if response.status_code not in statuses:
        raise ApiError(
            f"{response.request.method} {response.request.path_url}: HTTP "
            f"{response.status_code}, expected {statuses}: {response.text[:300]}"
        )
    return response.json() if response.content else {}


@dataclass
class Tenant:
    company_id: str
    email: str
    password: str
    token: str = ""
    video_ids: list[str] = field(default_factory=list)
    unstreamed: list[str] = field(default_factory=list)
    streamed: set[str] = field(default_factory=set)
    last_fresh: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def login(self) -> None:
        """One login (rate-limited per client address: waits out a 429)."""
        for _ in range(60):
            response = requests.post(
                f"{BASE_URL}/api/v1/auth/login",
                json={"email": self.email, "password": self.password},
                timeout=15,
            )
            if response.status_code != 429:
                break
            time.sleep(1)
        self.token = str(expect(response, 200)["access_token"])

    def take_unstreamed(self, every: float) -> str | None:
        """A video never streamed, at most one per `every` seconds (spread over a phase)."""
        with self.lock:
            now = time.monotonic()
            if not self.unstreamed or now - self.last_fresh < every:
                return None
            self.last_fresh = now
            return self.unstreamed.pop()

    def mark_streamed(self, video_id: str) -> None:
        with self.lock:
            self.streamed.add(video_id)

    def points(self) -> int:
        response = requests.get(f"{BASE_URL}/api/v1/users/me", headers=self.auth(), timeout=15)
        return int(str(expect(response, 200)["points"]))

    def wait_points(self, timeout: float = 60) -> tuple[int, int]:
        """(balance, expected) once they match or the time is up: one credit per video
        whose first stream answered."""
        deadline = time.monotonic() + timeout
        while True:
            expected = POINTS_PER_VIEW * len(self.streamed)
            balance = self.points()
            if balance == expected or time.monotonic() > deadline:
                return balance, expected
            time.sleep(0.5)


def sign_up() -> Tenant:
    """A company and its admin: revision 2's one request (the admin inside the company's
    body), or revision 1's two (company, then a user joining it) where that is deployed."""
    suffix = secrets.token_hex(5)
    email, password = f"swarm-{suffix}@load.example.com", f"swarm-pass-{suffix}"
    admin = {"email": email, "password": password, "name": "Swarm Admin"}
    name = f"swarm-{suffix}"
    url = f"{BASE_URL}/api/v1/companies"
    response = requests.post(url, json={"name": name, "admin": admin}, timeout=15)
    if response.status_code == 422 and '"admin"' in response.text:  # revision 1
        response = requests.post(url, json={"name": name}, timeout=15)
    company = expect(response, 201)
    tenant = Tenant(company_id=str(company["id"]), email=email, password=password)
    if "admin" not in company:
        expect(
            requests.post(
                f"{BASE_URL}/api/v1/users",
                json={**admin, "company_id": company["id"]},
                timeout=15,
            ),
            201,
        )
    tenant.login()
    return tenant


def upload_videos(tenant: Tenant, count: int, fresh: bool = True) -> None:
    """Fresh ones wait, never streamed, for the load to stream them first; the others join
    the videos the load streams all along (each streamed once here, its credit earned)."""
    data = FIXTURE.read_bytes()
    for number in range(count):
        response = requests.post(
            f"{BASE_URL}/api/v1/videos",
            headers=tenant.auth(),
            files={"file": ("tiny.mp4", data, "video/mp4")},
            data={"title": f"load video {number}"},
            timeout=30,
        )
        video_id = str(expect(response, 201)["id"])
        if fresh:
            tenant.unstreamed.append(video_id)
            continue
        stream = f"{BASE_URL}/api/v1/videos/{video_id}/stream"
        response = requests.get(stream, headers=tenant.auth(), timeout=30)
        if response.status_code != 200 or response.content != data:
            raise ApiError(f"GET {stream}: HTTP {response.status_code}, not the uploaded bytes")
        tenant.video_ids.append(video_id)
        tenant.mark_streamed(video_id)
