"""Request and response bodies of the cart API."""

from marshmallow import Schema, fields, post_dump, validate

from cart.domain import MAX_QUANTITY, SKU_PATTERN
from cart.quote_schemas import CartPricingSchema
from service_runtime.money import MoneySchema
from service_runtime.relay import Relayed

SKU_CODE = validate.And(
    validate.Length(min=1, max=64),
    validate.Regexp(SKU_PATTERN, error="letters, digits, . _ - only"),
)
QUANTITY = validate.Range(min=1, max=MAX_QUANTITY)


class AddItemSchema(Schema):
    sku = fields.String(required=True, validate=SKU_CODE)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY,
                              metadata={"description": "Added to the line of that SKU if any"})


class QuantitySchema(Schema):
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)


class CartLineSchema(Schema):
    sku = fields.String()
    name = fields.String()
    attributes = fields.Dict(keys=fields.String(), values=fields.String())
    quantity = fields.Integer()
    unit_price = fields.Nested(MoneySchema, metadata={"description": "The catalog's price now"})
    subtotal = fields.Nested(MoneySchema)
    available = fields.Integer(metadata={"description": "In stock as the catalog last said"})
    in_stock = fields.Boolean(metadata={"description": "Enough available for this line"})
    added_at = fields.AwareDateTime()


class CartTotalsSchema(Schema):
    items = fields.Integer(metadata={"description": "Pieces in the cart"})
    subtotal = fields.Nested(MoneySchema)
    shipping_estimate = fields.Nested(MoneySchema, metadata={"description": (
        "With `pricing` (GET only): the quote's shipping, what the order charges for "
        "standard delivery. Without: free from 99.00 yuan, else 10.00 yuan")})
    total = fields.Nested(MoneySchema, metadata={"description": (
        "With `pricing`: the quote's `payable` (discounts and shipping included). "
        "Without: subtotal + shipping_estimate")})


class CartSchema(Schema):
    lines = fields.List(fields.Nested(CartLineSchema))
    totals = fields.Nested(CartTotalsSchema)
    cart_token = fields.String(metadata={
        "description": "A guest cart's token: send it as X-Cart-Token (and once signed in, "
                       "to merge the cart into the user's)"})

    @post_dump
    def leave_out_absent_token(self, data, **kwargs):  # type: ignore[no-untyped-def]
        """Only a guest's cart has a token; a signed-in user's has no such key."""
        if data.get("cart_token") is None:
            data.pop("cart_token", None)
        return data


class PricedCartSchema(CartSchema):
    """``GET /cart``: the cart with the marketing service's quote."""

    pricing = Relayed(CartPricingSchema, allow_none=True, metadata={"description": (
        "The cart priced by the marketing service: promotions, the next full-reduction "
        "tier, the best coupon (applied) and the others, points. Absent for an empty cart "
        "or when it cannot be priced right now; then `totals` are the cart's own")})

    @post_dump
    def leave_out_absent_pricing(self, data, **kwargs):  # type: ignore[no-untyped-def]
        """No quote, no key: the answer is then the cart's plain answer as before."""
        if data.get("pricing") is None:
            data.pop("pricing", None)
        return data
