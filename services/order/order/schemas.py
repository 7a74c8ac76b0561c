"""Request and response bodies of the order API."""

from marshmallow import Schema, fields, validate

from event_contracts.common import ShippingAddressSchema
from event_contracts.events.order import DELIVERY_METHODS
from order.domain import MAX_LINES, MAX_QUANTITY, OrderStatus
from service_runtime.paging import PageQuerySchema


class RequestedLineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )


class PlaceOrderSchema(Schema):
    address_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    delivery_method = fields.String(required=True, validate=validate.OneOf(DELIVERY_METHODS))
    coupon_id = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=64),
                              metadata={"description": "A user coupon of the caller to apply"})
    coupon_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=64),
                                metadata={"description": "A redeem code the caller holds as a "
                                                         "user coupon (instead of coupon_id)"})
    points = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0),
                            metadata={"description": "Points to spend (1 point = 1 fen)"})
    lines = fields.List(
        fields.Nested(RequestedLineSchema),
        load_default=None,
        validate=validate.Length(min=1, max=MAX_LINES),
        metadata={"description": "Omitted: the caller's cart is ordered. Prices always come "
                                 "from the catalog, never from the client or the cart."},
    )


class CancelOrderSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=200))


class TimelineEntrySchema(Schema):
    status = fields.String()
    note = fields.String()
    at = fields.AwareDateTime()


class OrderPaymentSchema(Schema):
    method = fields.String(allow_none=True)
    payment_id = fields.String(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    cash_on_delivery = fields.Boolean()


class OrderSchema(Schema):
    id = fields.String()
    user_id = fields.String(metadata={"description": "the buyer"})
    status = fields.String()
    total = fields.Method("total_of")
    delivery_method = fields.String()
    address_id = fields.String(allow_none=True)
    shipping_address = fields.Nested(ShippingAddressSchema, allow_none=True, metadata={
        "description": "the address book entry as it was at checkout"})
    coupon_code = fields.String(allow_none=True)
    user_coupon_id = fields.String(allow_none=True)
    points_used = fields.Integer(allow_none=True)
    discount_total = fields.Method("discount_of", metadata={
        "description": "null on orders placed before promotions"})
    shipping = fields.Method("shipping_of", metadata={
        "description": "null on orders placed before promotions"})
    adjustments = fields.Method("adjustments_of", metadata={
        "description": "[{kind, source_id, label, amount}]: each discount and the shipping "
                       "fee charged (empty on orders placed before promotions)"})
    lines = fields.Method("lines_of")
    payment = fields.Method("payment_of", metadata={
        "description": "null until a payment is confirmed or cash on delivery chosen"})
    payment_due_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Unpaid by then (and not cash on delivery), the order is cancelled"})
    refunded_amount = fields.Method("refunded_of")
    campaign = fields.Dict(allow_none=True, metadata={
        "description": "the campaign it was bought through: {kind, campaign_id, group_id, "
                       "starts_group} for a group buy; null for ordinary orders"})
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def total_of(self, order):  # type: ignore[no-untyped-def]
        return {"amount": order.total_amount, "currency": order.currency}

    def discount_of(self, order):  # type: ignore[no-untyped-def]
        return _money(order.discount_total, order.currency)

    def shipping_of(self, order):  # type: ignore[no-untyped-def]
        return _money(order.shipping_amount, order.currency)

    def adjustments_of(self, order):  # type: ignore[no-untyped-def]
        return list(order.adjustments or [])

    def refunded_of(self, order):  # type: ignore[no-untyped-def]
        return {"amount": order.refunded_amount or 0, "currency": order.currency}

    def payment_of(self, order):  # type: ignore[no-untyped-def]
        if order.payment_id is None and not order.cash_on_delivery:
            return None
        return OrderPaymentSchema().dump({
            "method": order.payment_method, "payment_id": order.payment_id,
            "paid_at": order.paid_at, "cash_on_delivery": bool(order.cash_on_delivery)})

    def lines_of(self, order):  # type: ignore[no-untyped-def]
        return [
            {
                "sku": line.sku,
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": {"amount": line.unit_amount, "currency": order.currency},
                "subtotal": {"amount": line.unit_amount * line.quantity,
                             "currency": order.currency},
                "payable": _money(line.payable_amount, order.currency),
                "points": line.points,
                "allocations": list(line.allocations or []),
            }
            for line in order.lines
        ]


def _money(amount, currency):  # type: ignore[no-untyped-def]
    return None if amount is None else {"amount": amount, "currency": currency}


class OrderListQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None,
                           validate=validate.OneOf([str(s) for s in OrderStatus]))


class AdminOrderQuerySchema(OrderListQuerySchema):
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                            metadata={"description": "only this buyer's orders"})
    order_id = fields.String(load_default=None, validate=validate.Length(min=3, max=64),
                             metadata={"description": "orders whose id starts with this"})


class OrderPageSchema(Schema):
    items = fields.List(fields.Nested(OrderSchema))
    next_cursor = fields.String(allow_none=True)


class GroupOrderSchema(Schema):
    """Start or join a group: one order of the campaign's SKU at the group price."""

    quantity = fields.Integer(load_default=1, strict=True,
                              validate=validate.Range(min=1, max=MAX_QUANTITY))
    address_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    delivery_method = fields.String(required=True, validate=validate.OneOf(DELIVERY_METHODS))


class GroupViewSchema(Schema):
    id = fields.String()
    campaign_id = fields.String()
    status = fields.String(metadata={"enum": ["open", "succeeded", "failed"]})
    needed = fields.Integer(metadata={"description": "places still free, this order's "
                                                     "counted (as seen when it was placed)"})
    expires_at = fields.AwareDateTime(metadata={
        "description": "unfilled or unpaid by then, the group fails and its orders are "
                       "cancelled (paid ones refunded)"})
    server_time = fields.AwareDateTime()


class GroupOrderResultSchema(Schema):
    group = fields.Nested(GroupViewSchema)
    order = fields.Nested(OrderSchema)
