"""The marketing service's quote as the cart reads it and shows it (``pricing`` of
``GET /cart``): the contract's schemas (``event_contracts.pricing``), with the parts the
cart does not show left out.

``QUOTE_READER`` loads marketing's answer (a missing or malformed field the cart reads
makes the answer no quote at all; the parts left out are not even read) and
``CartPricingSchema`` documents and dumps what the cart shows.
"""

from __future__ import annotations

from event_contracts.pricing import QuoteSchema

# The quote's parts the cart does not show: the order's lines, the points spent (the cart
# asks for none), the applied coupon (``best_coupon`` is it) and the level.
NOT_READ = ("lines", "points_used", "points_value", "applied_coupon", "member_level")
# Read to check the quote is for this cart, shown as ``totals.subtotal`` instead.
READ_NOT_SHOWN = ("currency", "subtotal")

QUOTE_READER = QuoteSchema(exclude=NOT_READ)


class CartPricingSchema(QuoteSchema):
    """The cart as the order would charge it (suggested coupon applied, no points, standard
    delivery): ``payable`` is ``totals.total``."""

    class Meta(QuoteSchema.Meta):
        exclude = NOT_READ + READ_NOT_SHOWN
