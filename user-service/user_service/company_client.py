"""What user-service asks company-service: does a company exist, and is it active?

Fails closed: when company-service cannot answer, nobody signs up or logs in
(503 SERVICE_UNAVAILABLE) rather than letting a deactivated company's users through.
"""

from __future__ import annotations

import enum

from media_common.errors import ServiceUnavailable
from media_common.internal_http import InternalClient


class CompanyStatus(enum.Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"


class CompanyDirectory:
    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def status(self, company_id: int) -> CompanyStatus:
        company = await self.client.fetch(f"/internal/v1/companies/{company_id}", "company-service")
        if company is None:
            return CompanyStatus.UNKNOWN
        if "status" not in company:
            raise ServiceUnavailable("company-service answered unexpectedly")
        return CompanyStatus.ACTIVE if company["status"] == "active" else CompanyStatus.INACTIVE

    async def is_active(self, company_id: int) -> bool:
        return await self.status(company_id) is CompanyStatus.ACTIVE

    async def close(self) -> None:
        await self.client.close()
