"""Campaign prices for the quote: a group-buy campaign's or a flash session's price for
the lines of an order bought through it (``QuoteRequestSchema.campaign``).

Each campaign kind registers one lookup here; the quote prices the lines at the list
price, then takes the difference to the campaign's price off as one adjustment of the
campaign's kind (``group_price`` / ``flash_price``), with no promotion, coupon or points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from event_contracts.vocabulary import AdjustmentKind, CampaignKind
from service_runtime.errors import NotFound


@dataclass(frozen=True)
class CampaignPrice:
    kind: AdjustmentKind  # GROUP_PRICE or FLASH_PRICE
    source_id: str  # the campaign (group buy) or session (flash sale)
    label: str  # what the buyer reads in the breakdown, e.g. "拼团价"
    unit_amounts: Mapping[str, int]  # sku -> the campaign's unit price, in fen


class UnknownCampaign(NotFound):
    slug, title = "unknown-campaign", "No such campaign, or it does not sell these SKUs"


# (session, the request's campaign, the buyer or None, the SKUs of the lines, now)
Lookup = Callable[[Session, Mapping[str, Any], str | None, list[str], datetime], CampaignPrice]
LOOKUPS: dict[CampaignKind, Lookup] = {}


def register(kind: CampaignKind) -> Callable[[Lookup], Lookup]:
    def add(lookup: Lookup) -> Lookup:
        LOOKUPS[kind] = lookup
        return lookup
    return add


def campaign_price(session: Session, campaign: Mapping[str, Any], user_id: str | None,
                   skus: list[str], at: datetime) -> CampaignPrice:
    lookup = LOOKUPS.get(CampaignKind(campaign["kind"]))
    if lookup is None:
        raise UnknownCampaign(f"{campaign['kind']} campaigns are not sold here")
    return lookup(session, campaign, user_id, skus, at)


from marketing import flash_sales, group_buys  # noqa: E402,F401  registers
