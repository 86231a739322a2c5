"""The client services use to call each other, on the event loop: timeouts, bounded
retries, request ids.

Retries cover connection errors and 502/503/504 on idempotent methods, with a doubling
pause; the caller decides what a final failure means (usually 503 SERVICE_UNAVAILABLE:
fail closed, never a silent allow). `httpx.HTTPError` is what an unreachable peer raises.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from media_common.errors import ServiceUnavailable
from media_common.request_id import HEADER, current_request_id

logger = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


class InternalClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.1,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; raises `httpx.HTTPError` when the peer stays unreachable."""
        headers = dict(kwargs.pop("headers", None) or {})
        request_id = current_request_id()
        if request_id:
            headers.setdefault(HEADER, request_id)
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self.client.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if last or response.status_code not in RETRY_STATUSES:
                    return response
                await response.aclose()
            await asyncio.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def fetch(self, path: str, peer: str) -> dict[str, Any] | None:
        """GET a JSON object; None when the peer answers 404.

        Fails closed: unreachable, a timeout, any other status or a body that is not a JSON
        object raise ServiceUnavailable (503), so a caller never decides on a guess.
        """
        try:
            response = await self.get(path)
        except httpx.HTTPError as exc:
            logger.warning("%s unreachable: %s", peer, exc)
            raise ServiceUnavailable(f"{peer} is unavailable") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            logger.warning("%s answered %s", peer, response.status_code)
            raise ServiceUnavailable(f"{peer} is unavailable")
        try:
            body = response.json()
        except ValueError as exc:
            raise ServiceUnavailable(f"{peer} answered unexpectedly") from exc
        if not isinstance(body, dict):
            raise ServiceUnavailable(f"{peer} answered unexpectedly")
        return body

    async def close(self) -> None:
        await self.client.aclose()
