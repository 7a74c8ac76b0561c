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
SHOWN = tuple(name for name in QUOTE_READER.fields if name not in READ_NOT_SHOWN)


def read_quote(answer: object) -> dict:
    """Marketing's answer as the cart relays it: the parts it reads and shows, checked to be
    there (a ValueError if not); the rest of their shape is marketing's to keep (its tests
    hold its answer to the contract), so the cart does not re-validate it field by field:
    that cost a cart read more than pricing it."""
    if not isinstance(answer, dict):
        raise ValueError("the answer is not an object")
    missing = [name for name in QUOTE_READER.fields if answer.get(name) is None
               and not QUOTE_READER.fields[name].allow_none]
    if missing:
        raise ValueError(f"the answer has no {', '.join(missing)}")
    if not isinstance(answer["subtotal"], dict) or not isinstance(answer["payable"], dict):
        raise ValueError("subtotal and payable are not money")
    return {name: answer[name] for name in QUOTE_READER.fields if name in answer}


class CartPricingSchema(QuoteSchema):
    """The cart as the order would charge it (suggested coupon applied, no points, standard
    delivery): ``payable`` is ``totals.total``."""

    class Meta(QuoteSchema.Meta):
        exclude = NOT_READ + READ_NOT_SHOWN
