"""The HTTP client of the marketing service's quote (``POST /internal/pricing/quote``):
the pricing centre every checkout asks what the buyer pays.

The caller's ``Authorization`` is forwarded (marketing takes the buyer from the token,
never from the body) and the correlation id with it; the timeout is checkout's short read
timeout (``OrderSettings.read_timeout_ms``). Marketing down, slow or answering nonsense is
a 503 ``pricing-unavailable``; the answer is loaded by the contract's ``QuoteSchema``
(a field missing or malformed is nonsense too); its 422 problems about the buyer's choice
(``coupon-not-usable``, ``not-enough-points``, ...) reach the buyer as 422s of the same
type and detail; so do its 409s and 404s about a campaign (a group full, no such group).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from event_contracts.pricing import QuoteSchema
from order.internal_http import call
from order.settings import OrderSettings
from service_runtime.errors import TYPE_PREFIX, Conflict, InvalidInput, NotFound, ServiceUnavailable

QUOTE = QuoteSchema()  # the contract's answer: loaded, so relayed exactly as it documents


class PricingUnavailable(ServiceUnavailable):
    slug, title = "pricing-unavailable", "Prices cannot be worked out right now; try again"


class QuoteRefused(InvalidInput):
    """A 422 problem of the quote, passed on with its own type, title and detail."""

    def __init__(self, slug: str, title: str, detail: str | None) -> None:
        super().__init__(detail)
        self.slug, self.title = slug, title


class CampaignRefused(Conflict):
    """A 409 of the quote (a campaign not running, a group full or closed, the buyer's
    limit reached), passed on as it came."""

    def __init__(self, slug: str, title: str, detail: str | None) -> None:
        super().__init__(detail)
        self.slug, self.title = slug, title


class CampaignUnknown(NotFound):
    """A 404 of the quote (no such campaign or group), passed on as it came."""

    def __init__(self, slug: str, title: str, detail: str | None) -> None:
        super().__init__(detail)
        self.slug, self.title = slug, title


RELAYED = {422: QuoteRefused, 409: CampaignRefused, 404: CampaignUnknown}


@dataclass(frozen=True)
class PricingClient:
    """Asks for quotes on behalf of one caller (``authorization``: their header)."""

    marketing_service_url: str
    timeout_s: float
    authorization: str | None

    @classmethod
    def for_caller(cls, settings: OrderSettings, authorization: str | None) -> PricingClient:
        return cls(settings.marketing_service_url, settings.read_timeout_ms / 1000,
                   authorization)

    def quote(self, request: dict[str, Any]) -> dict[str, Any]:
        """The quote for ``request`` (the contract's request body, MARKETING.md), loaded."""
        url = self.marketing_service_url.rstrip("/") + "/internal/pricing/quote"
        response = call("POST", url, self.authorization, self.timeout_s, PricingUnavailable,
                        json=request)
        try:
            body = response.json()
        except ValueError:
            body = None
        # A 404 or 409 means something only about a campaign's price; otherwise (a
        # misrouted URL, say) it is marketing failing us, a 503 like any other answer.
        relayed = RELAYED if request.get("campaign") else {422: QuoteRefused}
        if response.status_code in relayed and isinstance(body, dict) \
                and str(body.get("type", "")).startswith(TYPE_PREFIX):
            raise relayed[response.status_code](
                body["type"][len(TYPE_PREFIX):],
                str(body.get("title") or "The price cannot be worked out"), body.get("detail"))
        if response.status_code != 200 or not isinstance(body, dict):
            raise PricingUnavailable(f"the marketing service answered {response.status_code}")
        # The parts the order relies on are checked by ``pricing.check_quote`` (lines, sums,
        # currency); the rest is relayed as marketing built it (its tests hold it to the
        # contract): loading it field by field cost more than pricing the order.
        missing = [name for name, field in QUOTE.fields.items()
                   if field.required and name not in body]
        if missing:
            raise PricingUnavailable("the marketing service sent an unreadable quote: no "
                                     + ", ".join(missing))
        return body
