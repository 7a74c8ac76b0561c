"""Events the payment service produces."""

from marshmallow import fields, validate

from event_contracts.common import MoneySchema
from event_contracts.registry import EventSchema, event_schema
from event_contracts.vocabulary import PaymentMethod, RefundDestination

PAYMENT_METHODS = tuple(method.value for method in PaymentMethod)


@event_schema("PaymentDue", 1)
class PaymentDueV1(EventSchema):
    """The order can be paid now: the payment service knows what it owes (``OrderPlaced``)
    and that its stock is reserved (``StockReserved``). Emitted once, in the transaction
    that makes the payable ``due``, so whoever shows the order as payable on this event
    (the order service: ``awaiting_payment``) never shows it before a payment is accepted."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    payable_at = fields.AwareDateTime(required=True)


@event_schema("PaymentConfirmed", 1)
class PaymentConfirmedV1(EventSchema):
    payment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    confirmed_at = fields.AwareDateTime(required=True)
    # The order's group (a group-buy order, from its OrderPlaced): logistics holds its
    # shipment until GroupBuySucceeded.
    group_id = fields.String(required=False, allow_none=True)


@event_schema("PaymentFailed", 1)
class PaymentFailedV1(EventSchema):
    """One attempt to pay an order failed; the order stays payable and may be paid again."""

    payment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    reason = fields.String(required=True, validate=validate.Length(max=500))
    failed_at = fields.AwareDateTime(required=True)


@event_schema("CashOnDeliveryChosen", 1)
class CashOnDeliveryChosenV1(EventSchema):
    """The buyer pays on delivery: the order ships unpaid; ``PaymentConfirmed`` follows
    ``Delivered``."""

    payment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    chosen_at = fields.AwareDateTime(required=True)


REFUND_DESTINATIONS = tuple(destination.value for destination in RefundDestination)


@event_schema("RefundIssued", 1)
class RefundIssuedV1(EventSchema):
    """Money went back to the buyer for an order (a return, a cancellation, a duplicate)."""

    refund_id = fields.String(required=True)
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    destination = fields.String(required=True, validate=validate.OneOf(REFUND_DESTINATIONS))
    reason = fields.String(required=True, validate=validate.Length(max=500))
    # The after-sales request this refund settles, if any.
    return_id = fields.String(required=False, allow_none=True)
    # Everything refunded of the order's one charge so far (this refund included), and
    # whether that is all of it.
    refunded_total = fields.Nested(MoneySchema, required=True)
    fully_refunded = fields.Boolean(required=True)
    # True when the money refunded was a second charge for an already paid (or cancelled)
    # order: the order itself is not refunded by it.
    duplicate_payment = fields.Boolean(required=False)
    issued_at = fields.AwareDateTime(required=True)
