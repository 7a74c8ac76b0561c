"""Value schemas shared by several events."""

from marshmallow import fields, validate

from event_contracts.registry import EventSchema


class MoneySchema(EventSchema):
    """An amount in minor units (fen for CNY) plus an ISO 4217 currency code."""

    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))


class OrderLineSchema(EventSchema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    unit_price = fields.Nested(MoneySchema, required=True)
    # The catalog product the SKU belongs to, when the order service knows it.
    product_id = fields.Integer(required=False, allow_none=True, strict=True)
    # What the buyer pays for this line after every discount, with its share of shipping
    # (absent on orders priced before promotions existed: unit_price x quantity then).
    # A refund of the whole line gives back exactly this.
    payable = fields.Nested(MoneySchema, required=False, allow_none=True)
    # The line's share of the points spent on the order (1 point = 1 fen of its discount).
    points = fields.Integer(required=False, strict=True, validate=validate.Range(min=0))


class QuantityLineSchema(EventSchema):
    """A SKU and how many of it (returned, exchanged, shipped)."""

    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class ShippingAddressSchema(EventSchema):
    """Where an order goes: the buyer's address-book entry as it was at checkout."""

    recipient = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    province = fields.String(required=True, validate=validate.Length(min=1, max=30))
    city = fields.String(required=True, validate=validate.Length(min=1, max=30))
    district = fields.String(required=True, validate=validate.Length(min=1, max=30))
    detail = fields.String(required=True, validate=validate.Length(min=1, max=200))
    postal_code = fields.String(required=False, allow_none=True)
