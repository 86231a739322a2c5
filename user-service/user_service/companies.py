"""What user-service asks company-service: does a company exist, and is it active?

Fails closed: when company-service cannot answer, nobody signs up or logs in
(503 SERVICE_UNAVAILABLE) rather than letting a deactivated company's users through.
"""

from __future__ import annotations

import enum
import logging

import requests

from media_common.errors import NotFound, ServiceUnavailable
from media_common.internal_http import InternalClient

logger = logging.getLogger(__name__)


class CompanyStatus(enum.Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"


class CompanyDirectory:
    def __init__(self, client: InternalClient) -> None:
        self.client = client

    def status(self, company_id: int) -> CompanyStatus:
        try:
            response = self.client.get(f"/internal/v1/companies/{company_id}")
        except requests.RequestException as exc:
            logger.warning("company-service unreachable: %s", exc)
            raise ServiceUnavailable("company-service is unavailable") from exc
        if response.status_code == 404:
            return CompanyStatus.UNKNOWN
        if response.status_code != 200:
            logger.error("company-service answered %s", response.status_code)
            raise ServiceUnavailable("company-service is unavailable")
        try:
            active = response.json()["status"] == "active"
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("company-service answered an unexpected body")
            raise ServiceUnavailable("company-service is unavailable") from exc
        return CompanyStatus.ACTIVE if active else CompanyStatus.INACTIVE

    def is_active(self, company_id: int) -> bool:
        return self.status(company_id) is CompanyStatus.ACTIVE

    def require_active(self, company_id: int) -> None:
        if not self.is_active(company_id):
            raise NotFound("Company not found")

    def close(self) -> None:
        self.client.close()
