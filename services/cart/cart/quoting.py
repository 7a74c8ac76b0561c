"""``GET /cart``: the cart priced by the marketing service, the one pricing centre.

The cart is read first (its transaction over), then marketing is asked once for a quote
of its lines: standard delivery (``delivery_method`` null), the best usable coupon
suggested, no points. With the quote the cart's shipping and total are the quote's, so
the cart shows what the order would charge; without one (marketing down, slow, failing)
the cart is shown with its own totals and ``pricing`` null. An empty cart asks nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Protocol

from cart import items
from cart.carts import Caller
from cart.pricing import PricedCart
from service_runtime.db import Database
from service_runtime.money import Money

log = logging.getLogger(__name__)


class Quotes(Protocol):
    def quote(self, body: dict[str, Any], authorization: str | None) -> dict | None: ...


def quote_request(cart: PricedCart) -> dict[str, Any]:
    """The quote request of a cart's lines, as ``POST /internal/pricing/quote`` takes it."""
    return {
        "lines": [{"sku": line.sku, "product_id": line.product_id, "quantity": line.quantity,
                   "unit_price": {"amount": line.unit_price.amount,
                                  "currency": line.unit_price.currency}}
                  for line in cart.lines],
        "delivery_method": None,
        "user_coupon_id": None,
        "coupon_code": None,
        "points": 0,
        "suggest_coupon": True,
    }


def with_quote(cart: PricedCart, quote: dict | None) -> PricedCart:
    """The cart with the quote's pricing, shipping and total; unchanged without a quote or
    with one of another cart (another currency or subtotal: prices moved in between)."""
    if quote is None:
        return cart
    subtotal = cart.totals.subtotal
    if (quote["currency"], quote["subtotal"]["amount"]) != (subtotal.currency, subtotal.amount):
        log.warning("the cart is shown without a quote: marketing priced %s %s, the cart is "
                    "%s %s", quote["subtotal"]["amount"], quote["currency"], subtotal.amount,
                    subtotal.currency)
        return cart
    totals = dataclasses.replace(
        cart.totals,
        shipping_estimate=Money(quote["shipping"]["amount"], subtotal.currency),
        total=Money(quote["payable"]["amount"], subtotal.currency))
    return dataclasses.replace(cart, totals=totals, pricing=quote)


def shown_cart(db: Database, marketing: Quotes, caller: Caller,
               authorization: str | None) -> PricedCart:
    """The caller's cart (merged first, see ``items.get_cart``), priced by marketing.

    ``authorization`` is the caller's own header, forwarded for a signed-in caller only
    (marketing takes the buyer from it); a guest is quoted as a guest.
    """
    cart = items.get_cart(db, caller)
    if not cart.lines:
        return cart
    forwarded = authorization if caller.user_id is not None else None
    return with_quote(cart, marketing.quote(quote_request(cart), forwarded))
