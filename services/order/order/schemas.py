"""Request and response bodies of the order API."""

from marshmallow import Schema, fields, validate

from event_contracts.events.order import DELIVERY_METHODS
from order.domain import MAX_LINES, MAX_QUANTITY


class MoneySchema(Schema):
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)


class RequestedLineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )


class PlaceOrderSchema(Schema):
    address_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    delivery_method = fields.String(required=True, validate=validate.OneOf(DELIVERY_METHODS))
    coupon_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=64))
    lines = fields.List(
        fields.Nested(RequestedLineSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_LINES),
        metadata={"description": "Required until the cart service exists (then it defaults "
                                 "to the cart)."},
    )


class TimelineEntrySchema(Schema):
    status = fields.String()
    note = fields.String()
    at = fields.AwareDateTime()


class OrderSchema(Schema):
    id = fields.String()
    status = fields.String()
    total = fields.Method("total_of")
    delivery_method = fields.String()
    address_id = fields.String(allow_none=True)
    lines = fields.Method("lines_of")
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def total_of(self, order):  # type: ignore[no-untyped-def]
        return {"amount": order.total_amount, "currency": order.currency}

    def lines_of(self, order):  # type: ignore[no-untyped-def]
        return [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": {"amount": line.unit_amount, "currency": order.currency},
                "subtotal": {"amount": line.unit_amount * line.quantity,
                             "currency": order.currency},
            }
            for line in order.lines
        ]


class OrderListQuerySchema(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))


class OrderPageSchema(Schema):
    items = fields.List(fields.Nested(OrderSchema))
    next_cursor = fields.String(allow_none=True)
