"""A bounded load generator: a few threads sending authenticated requests to all three
services through the gateway (loopback), counting what was sent and what failed.

Each worker repeats one cycle: GET users/me (user-service), GET the company
(company-service), GET the video list and a video, POST a playback URL and a Range GET of a
stream (video-service, then the object store through nginx). A stream goes to a video never
streamed before every 3 s while the tenant has one, so first-view point credits are earned
all through the disturbance and can be counted.
With retries > 0 a request that failed (no answer, 502/503/504) is sent again, as a client
would; it counts as retried, and as failed only when every attempt failed."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import requests

from swarmtest.api import BASE_URL, Tenant

RETRYABLE = {502, 503, 504}
SAMPLES = 10
FRESH_EVERY_SECONDS = 3.0


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, failure: str | None, attempts: int) -> None:
        with self.lock:
            self.sent += 1
            self.retried += attempts > 1
            if failure is not None:
                self.failed += 1
                if len(self.samples) < SAMPLES:
                    self.samples.append(failure)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    statuses: tuple[int, ...]
    headers: tuple[tuple[str, str], ...] = ()
    body_length: int | None = None


class Load:
    """`with Load(tenant) as load:` runs the load; `load.tally` holds the counts."""

    def __init__(
        self, tenant: Tenant, workers: int = 4, max_rps: float = 60.0, retries: int = 0
    ) -> None:
        self.tenant = tenant
        self.workers = workers
        self.pause = workers / max_rps
        self.retries = retries
        self.tally = Tally()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.work, name=f"load-{n}", daemon=True)
            for n in range(workers)
        ]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def cycle(self, video_id: str, fresh: str | None) -> list[Call]:
        company, videos = f"/api/v1/companies/{self.tenant.company_id}", "/api/v1/videos"
        stream = fresh or video_id
        return [
            Call("GET", "/api/v1/users/me", (200,)),
            Call("GET", company, (200,)),
            Call("GET", videos, (200,)),
            Call("GET", f"{videos}/{video_id}", (200,)),
            Call("POST", f"{videos}/{video_id}/playback", (200,)),
            Call("GET", f"{videos}/{stream}/stream", (206,), (("Range", "bytes=0-99"),), 100),
        ]

    def work(self) -> None:
        session = requests.Session()
        number = 0
        while not self.stop.is_set():
            video_id = self.tenant.video_ids[number % len(self.tenant.video_ids)]
            fresh = self.tenant.take_unstreamed(FRESH_EVERY_SECONDS)
            for call in self.cycle(video_id, fresh):
                started = time.monotonic()
                ok = self.send(session, call)
                if ok and fresh and call.path.endswith(f"/{fresh}/stream"):
                    self.tenant.mark_streamed(fresh)
                if self.stop.wait(max(0.0, self.pause - (time.monotonic() - started))):
                    return
            number += 1

    def send(self, session: requests.Session, call: Call) -> bool:
        failure: str | None = None
        attempts = 0
        for attempt in range(self.retries + 1):
            attempts += 1
            failure, retryable = self.attempt(session, call)
            if failure is None or not retryable:
                break
            if attempt < self.retries:
                time.sleep(0.2 * (attempt + 1))
        self.tally.count(failure, attempts)
        return failure is None

    def attempt(self, session: requests.Session, call: Call) -> tuple[str | None, bool]:
        """(failure or None, whether a client may send it again)."""
        try:
            response = session.request(
                call.method,
                BASE_URL + call.path,
                headers={**self.tenant.auth(), **dict(call.headers)},
                timeout=20,
            )
        except requests.RequestException as exc:
            session.close()
            return f"{call.method} {call.path}: {type(exc).__name__}: {exc}", True
        if response.status_code not in call.statuses:
            failure = (
                f"{call.method} {call.path}: HTTP {response.status_code} {response.text[:160]}"
            )
            return failure, response.status_code in RETRYABLE
        if call.body_length is not None and len(response.content) != call.body_length:
            return f"{call.method} {call.path}: {len(response.content)} body bytes", True
        return None, False
