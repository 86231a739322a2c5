"""What company-service says about a company's plan (for restore). Fails closed."""

from __future__ import annotations

import logging

import requests

from media_common.errors import PlanRequired, ServiceUnavailable
from media_common.internal_http import InternalClient

logger = logging.getLogger(__name__)


class CompanyPlans:
    def __init__(self, client: InternalClient) -> None:
        self.client = client

    def effective_plan(self, company_id: int) -> str | None:
        """`paid`/`free`, or None for a company company-service does not know (or deactivated).

        Unreachable, timing out or answering anything else → 503: a restore is never
        allowed on a guess.
        """
        try:
            response = self.client.get(f"/internal/v1/companies/{company_id}")
        except requests.RequestException as exc:
            logger.warning("company-service unreachable: %s", exc)
            raise ServiceUnavailable("company-service is unavailable") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            logger.warning("company-service answered %s", response.status_code)
            raise ServiceUnavailable("company-service is unavailable")
        try:
            plan = response.json()["effective_plan"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceUnavailable("company-service answered unexpectedly") from exc
        return str(plan)

    def require_paid(self, company_id: int) -> None:
        if self.effective_plan(company_id) != "paid":
            raise PlanRequired("Restoring a video needs a paid plan")
