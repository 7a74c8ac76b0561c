"""Pricing a checkout: the ONE function both ``POST /checkout/preview`` and
``POST /orders`` call, so a preview and the order placed from the same input cost the same.

What is ordered and at which unit prices comes from this service (the buyer's lines or
cart, the local price list); every discount, the shipping fee and the points come from
the marketing service's quote. The answer is checked against the contract's sum rules
before anything is stored from it: a quote that does not add up is a 503, never an order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from order.domain import PricedLine, RequestedLine, price_lines
from order.models import SkuPrice
from order.pricing_client import PricingUnavailable
from service_runtime.db import Database
from service_runtime.errors import InvalidInput
from service_runtime.money import Money

Quote = dict[str, Any]


@dataclass(frozen=True)
class CheckoutChoice:
    """What the buyer chose at checkout, besides the lines."""

    delivery_method: str | None = None
    coupon_id: str | None = None  # a user coupon id
    coupon_code: str | None = None  # a redeem code the buyer holds as a user coupon
    points: int = 0
    # A campaign's price (``QuoteRequestSchema.campaign``): then no coupon and no points.
    campaign: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PricedCheckout:
    lines: list[PricedLine]  # merged, one per SKU, at the local unit prices
    product_ids: Mapping[str, int | None]
    quote: Quote  # the marketing service's answer, checked

    @property
    def currency(self) -> str:
        return self.lines[0].unit_price.currency


def wanted_lines(lines: Sequence[RequestedLine] | None,
                 read_cart: Callable[[], Sequence[RequestedLine]] | None) -> list[RequestedLine]:
    """The buyer's lines, or without them what is in their cart."""
    if lines is not None:
        return list(lines)
    if read_cart is None:
        raise InvalidInput("lines are required")
    return list(read_cart())


def price_checkout(db: Database, wanted: Sequence[RequestedLine], choice: CheckoutChoice,
                   quote: Callable[[Quote], Quote], *, suggest_coupon: bool) -> PricedCheckout:
    """Price ``wanted`` for the buyer: local unit prices, then the quote (``quote`` sends the
    contract's request to marketing as the buyer). ``suggest_coupon`` (preview) lets
    marketing apply the best usable coupon when none is chosen; an order never gets one
    it did not ask for."""
    if choice.coupon_id and choice.coupon_code:
        raise InvalidInput("choose either coupon_id or coupon_code, not both")
    with db.transaction() as session:
        known = {p.sku: p for p in session.scalars(
            select(SkuPrice).where(SkuPrice.sku.in_({line.sku for line in wanted})))}
        prices = {sku: Money(p.amount, p.currency) for sku, p in known.items()}
        product_ids = {sku: p.product_id for sku, p in known.items()}
    priced = price_lines(wanted, prices)
    answer = quote({
        "lines": [{"sku": line.sku, "product_id": product_ids[line.sku],
                   "quantity": line.quantity,
                   "unit_price": {"amount": line.unit_price.amount,
                                  "currency": line.unit_price.currency}}
                  for line in priced],
        "delivery_method": choice.delivery_method,
        "user_coupon_id": choice.coupon_id,
        "coupon_code": choice.coupon_code,
        "points": choice.points,
        "suggest_coupon": suggest_coupon,
        **({"campaign": quoted_campaign(choice.campaign)} if choice.campaign else {}),
    })
    check_quote(answer, priced)
    return PricedCheckout(priced, product_ids, answer)


def quoted_campaign(campaign: Mapping[str, Any]) -> dict[str, Any]:
    """The quote's ``campaign`` for an order's: a group the order starts does not exist
    yet, so it is priced as a start (no ``group_id``)."""
    return {"kind": campaign["kind"], "campaign_id": campaign["campaign_id"],
            "group_id": None if campaign.get("starts_group") else campaign.get("group_id")}


def preview_checkout(db: Database, lines: Sequence[RequestedLine] | None,
                     choice: CheckoutChoice, quote: Callable[[Quote], Quote],
                     read_cart: Callable[[], Sequence[RequestedLine]], *,
                     suggest_coupon: bool = True) -> Quote:
    """``POST /checkout/preview``: the quote ``POST /orders`` would charge for the same
    input, the best usable coupon applied when none is chosen (unless ``suggest_coupon``
    is false: then no coupon at all); nothing stored or held."""
    return price_checkout(db, wanted_lines(lines, read_cart), choice, quote,
                          suggest_coupon=suggest_coupon).quote


def _amount(money: Any, currency: str) -> int:
    if not isinstance(money, Mapping) or money.get("currency") != currency \
            or not isinstance(money.get("amount"), int):
        raise PricingUnavailable("the quote holds an amount in another currency or none")
    return int(money["amount"])


def check_quote(answer: Quote, priced: Sequence[PricedLine]) -> None:
    """The quote is for these lines and adds up (MARKETING.md's sum rules); else a 503."""
    try:
        currency = priced[0].unit_price.currency
        if answer["currency"] != currency:
            raise PricingUnavailable("the quote is in another currency")
        lines = answer["lines"]
        if [(line["sku"], line["quantity"]) for line in lines] != \
                [(line.sku, line.quantity) for line in priced]:
            raise PricingUnavailable("the quote is for other lines")
        subtotal = _amount(answer["subtotal"], currency)
        discount = _amount(answer["discount_total"], currency)
        shipping = _amount(answer["shipping"], currency)
        points_value = _amount(answer["points_value"], currency)
        payable = _amount(answer["payable"], currency)
        line_payables = [_amount(line["payable"], currency) for line in lines]
        for adjustment in answer["adjustments"]:
            allocated = sum(_amount(a["amount"], currency) for line in lines
                            for a in line["allocations"]
                            if (a["kind"], a.get("source_id"))
                            == (adjustment["kind"], adjustment.get("source_id")))
            if allocated != _amount(adjustment["amount"], currency):
                raise PricingUnavailable("the quote's allocations do not add up")
    except (KeyError, TypeError) as exc:
        raise PricingUnavailable("the marketing service sent an unreadable quote") from exc
    if subtotal != sum(line.subtotal for line in priced) or not 0 <= discount <= subtotal \
            or payable != subtotal - discount - points_value + shipping \
            or sum(line_payables) != payable or min(line_payables) < 0:
        raise PricingUnavailable("the quote does not add up")
