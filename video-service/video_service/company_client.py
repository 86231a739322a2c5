"""What company-service says about a company's plan (for restore). Fails closed."""

from __future__ import annotations

from media_common.errors import PlanRequired, ServiceUnavailable
from media_common.internal_http import InternalClient


class CompanyPlans:
    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def effective_plan(self, company_id: int) -> str | None:
        """`paid`/`free`, or None for a company company-service does not know (or deactivated).

        Unreachable, timing out or answering anything else → 503: a restore is never
        allowed on a guess.
        """
        company = await self.client.fetch(f"/internal/v1/companies/{company_id}", "company-service")
        if company is None:
            return None
        if "effective_plan" not in company:
            raise ServiceUnavailable("company-service answered unexpectedly")
        return str(company["effective_plan"])

    async def require_paid(self, company_id: int) -> None:
        if await self.effective_plan(company_id) != "paid":
            raise PlanRequired("Restoring a video needs a paid plan")

    async def close(self) -> None:
        await self.client.close()
