"""The client services use to call each other: timeouts, bounded retries, request ids.

Retries (urllib3 `Retry`) cover connection errors and 502/503/504 on idempotent methods;
the caller decides what a final failure means (usually 503 SERVICE_UNAVAILABLE: fail
closed, never a silent allow).
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from media_common.errors import ServiceUnavailable
from media_common.request_id import HEADER, current_request_id

logger = logging.getLogger(__name__)


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
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE"}),
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request; raises `requests.RequestException` when the peer is unreachable."""
        headers = dict(kwargs.pop("headers", None) or {})
        request_id = current_request_id()
        if request_id:
            headers.setdefault(HEADER, request_id)
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def fetch(self, path: str, peer: str) -> dict[str, Any] | None:
        """GET a JSON object; None when the peer answers 404.

        Fails closed: unreachable, a timeout, any other status or a body that is not a JSON
        object raise ServiceUnavailable (503), so a caller never decides on a guess.
        """
        try:
            response = self.get(path)
        except requests.RequestException as exc:
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

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self.session.close()
