"""The quote of an order bought through a campaign (a group buy, a flash sale).

The lines are priced by the engine at the campaign's unit prices with no promotion, no
coupon and no points, so the shipping threshold counts what the buyer really pays. The
answer is then shown at list price: ``subtotal`` is the list subtotal, one adjustment of
the campaign's kind (``group_price`` / ``flash_price``) takes the difference off (added to
``discount_total``, shared onto each line's ``allocations``), each line's ``unit_price`` is
its list price; ``payable`` is what the engine worked out. So every sum rule of the quote
holds as for any other quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from marketing import pricing_engine
from marketing.campaign_prices import CampaignPrice, UnknownCampaign
from marketing.pricing_types import Money, PricingLine
from service_runtime.money import money_json


def campaign_lines(lines: Sequence[PricingLine], price: CampaignPrice) -> list[PricingLine]:
    """The lines at the campaign's unit prices (never above their list price)."""
    missing = [line.sku for line in lines if line.sku not in price.unit_amounts]
    if missing:
        raise UnknownCampaign(f"the campaign does not sell {', '.join(missing)}")
    return [replace(line, unit_price=Money(min(price.unit_amounts[line.sku],
                                               line.unit_price.amount),
                                           line.unit_price.currency))
            for line in lines]


def campaign_quote(lines: Sequence[PricingLine], price: CampaignPrice, *, at: datetime,
                   member_level: str | None, delivery_method: str | None,
                   currency: str) -> Any:
    """The engine's quote of ``lines`` at the campaign's prices (nothing else applies)."""
    return pricing_engine.price(campaign_lines(lines, price), now=at, member_level=member_level,
                                delivery_method=delivery_method, currency=currency)


def at_list_price(answer: dict[str, Any], lines: Sequence[PricingLine],
                  price: CampaignPrice) -> dict[str, Any]:
    """``answer`` (the quote JSON of the lines at campaign prices) shown at list price
    with the campaign's adjustment; ``payable`` unchanged."""
    currency = answer["currency"]
    source = {"kind": price.kind.value, "source_id": price.source_id}
    shown_lines, total_off = [], 0
    for line, quoted in zip(lines, answer["lines"], strict=True):
        list_subtotal = line.unit_price.amount * line.quantity
        off = list_subtotal - quoted["subtotal"]["amount"]
        total_off += off
        shown_lines.append({
            **quoted, "unit_price": money_json(line.unit_price.amount, currency),
            "subtotal": money_json(list_subtotal, currency),
            "allocations": [{**source, "amount": money_json(off, currency)},
                            *quoted["allocations"]]})
    subtotal = answer["subtotal"]["amount"] + total_off
    return {
        **answer, "subtotal": money_json(subtotal, currency),
        "discount_total": money_json(answer["discount_total"]["amount"] + total_off, currency),
        "adjustments": [{**source, "label": price.label,
                         "amount": money_json(total_off, currency)}, *answer["adjustments"]],
        "lines": shown_lines,
    }
