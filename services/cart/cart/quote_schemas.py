"""The marketing service's quote, as the cart reads it and shows it (``pricing`` of
``GET /cart``).

The same schemas load marketing's answer (fields the cart does not show are left out;
a missing or malformed one makes the answer no quote at all) and document and dump
what the cart shows. Ids are marketing's strings; datetimes are relayed as written.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from service_runtime.money import MoneySchema

ADJUSTMENT_KINDS = "member_price | timed_discount | full_reduction | coupon | points | shipping"


class Relayed(Schema):
    class Meta:
        unknown = EXCLUDE


def money(description: str | None = None) -> fields.Nested:
    """A required amount of the quote."""
    metadata = {"description": description} if description else {}
    return fields.Nested(MoneySchema, required=True, metadata=metadata)


class AdjustmentSchema(Relayed):
    kind = fields.String(required=True, metadata={"description": ADJUSTMENT_KINDS})
    source_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "The promotion or coupon template; null for points and shipping"})
    label = fields.String(required=True)
    amount = money("A discount, or the shipping charged; always positive")


class PromotionSchema(Relayed):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    applied = fields.Boolean(required=True)
    discount = money()


class NextTierSchema(Relayed):
    promotion_id = fields.String(required=True)
    threshold = money()
    off = money()
    missing = money("What the cart still needs to reach the tier")
    hint = fields.String(required=True, metadata={"example": "再买 ¥23.00 可减 ¥40.00"})


class CouponSchema(Relayed):
    """A user coupon as marketing describes it (``GET /users/me/coupons``), with what it
    would take off this cart (usable) or why it cannot be used (unusable)."""

    id = fields.String(required=True, metadata={"description": "The user coupon"})
    template_id = fields.String()
    status = fields.String()
    valid_from = fields.String(allow_none=True, metadata={"format": "date-time"})
    valid_until = fields.String(allow_none=True, metadata={"format": "date-time"})
    source = fields.String()
    template = fields.Dict(metadata={"description": "The coupon template, as marketing has it"})
    discount = fields.Nested(MoneySchema, metadata={"description": "usable coupons"})
    reason = fields.String(metadata={"description": "unusable coupons"})


class CouponsSchema(Relayed):
    usable = fields.List(fields.Nested(CouponSchema), load_default=list)
    unusable = fields.List(fields.Nested(CouponSchema), load_default=list)


class PointsSchema(Relayed):
    balance = fields.Integer(required=True, strict=True)
    requested = fields.Integer(load_default=0, strict=True)
    used = fields.Integer(load_default=0, strict=True)
    max_usable = fields.Integer(required=True, strict=True)


class CartPricingSchema(Relayed):
    """The cart as the order would charge it (suggested coupon applied, no points, standard
    delivery): ``payable`` is ``totals.total``."""

    discount_total = money("Every discount together")
    shipping = money("Standard delivery, after member and coupon perks")
    payable = money()
    adjustments = fields.List(fields.Nested(AdjustmentSchema), load_default=list)
    promotions = fields.List(fields.Nested(PromotionSchema), load_default=list,
                             metadata={"description": "The running promotions the cart meets "
                                                      "or may meet"})
    next_tier = fields.Nested(NextTierSchema, allow_none=True, load_default=None, metadata={
        "description": "The next full-reduction tier and what is missing to reach it"})
    best_coupon = fields.Nested(CouponSchema, allow_none=True, load_default=None,
                                metadata={"description": "The usable coupon that saves most"})
    coupons = fields.Nested(CouponsSchema, load_default=lambda: {"usable": [], "unusable": []})
    points = fields.Nested(PointsSchema, allow_none=True, load_default=None, metadata={
        "description": "The buyer's balance and how many points this cart could use"})


class QuoteSchema(CartPricingSchema):
    """Marketing's whole answer, as far as the cart reads it."""

    currency = fields.String(required=True)
    subtotal = money()
