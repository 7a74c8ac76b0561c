"""What checkout reads of a group-buy campaign from the marketing service (its public
``GET /api/v1/group-buys/{id}`` and ``GET /api/v1/group-buys/groups/{gid}``): the SKU a
group sells and, for the answer, the group's places and deadline. Marketing itself checks
again, in the quote and when it holds the order's place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from order.internal_http import call
from order.pricing_client import RELAYED, PricingUnavailable
from order.settings import OrderSettings
from service_runtime.errors import TYPE_PREFIX


@dataclass(frozen=True)
class CampaignClient:
    marketing_service_url: str
    timeout_s: float
    authorization: str | None

    @classmethod
    def for_caller(cls, settings: OrderSettings, authorization: str | None) -> CampaignClient:
        return cls(settings.marketing_service_url, settings.read_timeout_ms / 1000,
                   authorization)

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        """The campaign (sku, product_id, group_size, fill_seconds, ends_at, ...); an
        unknown one is marketing's 404, relayed."""
        return self._get("/api/v1/group-buys/" + quote(campaign_id, safe=""))

    def group(self, group_id: str) -> dict[str, Any]:
        """The group (campaign_id, sku, needed, expires_at, status, ...); unknown: a 404."""
        return self._get("/api/v1/group-buys/groups/" + quote(group_id, safe=""))

    def _get(self, path: str) -> dict[str, Any]:
        url = self.marketing_service_url.rstrip("/") + path
        response = call("GET", url, self.authorization, self.timeout_s, PricingUnavailable)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code in RELAYED and isinstance(body, dict) \
                and str(body.get("type", "")).startswith(TYPE_PREFIX):
            raise RELAYED[response.status_code](body["type"][len(TYPE_PREFIX):],
                                                str(body.get("title") or "Not found"),
                                                body.get("detail"))
        if response.status_code != 200 or not isinstance(body, dict):
            raise PricingUnavailable(f"the marketing service answered {response.status_code}")
        return body
