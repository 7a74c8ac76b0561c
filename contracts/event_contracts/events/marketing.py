"""Events the marketing service produces."""

from enum import StrEnum

from marshmallow import fields, validate

from event_contracts.common import MoneySchema
from event_contracts.registry import EventSchema, event_schema
from event_contracts.vocabulary import DeliveryMethod


class CouponRejection(StrEnum):
    """Why a coupon could not be locked for an order (``CouponRejected.reason``)."""

    UNKNOWN = "unknown"  # no such coupon of this buyer
    NOT_AVAILABLE = "not_available"  # already used, or locked by another order
    EXPIRED = "expired"


@event_schema("CouponLocked", 1)
class CouponLockedV1(EventSchema):
    """The buyer's coupon is held for this unpaid order (used when it is paid, back to
    ``available`` when it is cancelled)."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    user_coupon_id = fields.String(required=True)
    locked_at = fields.AwareDateTime(required=True)


@event_schema("CouponRejected", 1)
class CouponRejectedV1(EventSchema):
    """The order's coupon could not be locked: the order is cancelled with this reason."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    user_coupon_id = fields.String(required=True)
    reason = fields.String(required=True,
                           validate=validate.OneOf([reason.value for reason in CouponRejection]))
    rejected_at = fields.AwareDateTime(required=True)


# -- group buys (拼团) --------------------------------------------------------------------


class GroupSlotRejection(StrEnum):
    """Why a group-buy order could not take a place in its group (``GroupSlotRejected``)."""

    UNKNOWN = "unknown"  # no such campaign or group
    FULL = "full"  # every place is taken by another order
    CLOSED = "closed"  # the group has succeeded, failed or passed its deadline
    CAMPAIGN_OVER = "campaign_over"  # outside the campaign's window
    LIMIT_REACHED = "limit_reached"  # the buyer's per-campaign limit
    ALREADY_MEMBER = "already_member"  # the buyer is in this group with another order


@event_schema("GroupSlotHeld", 1)
class GroupSlotHeldV1(EventSchema):
    """The group-buy order holds a place in its group (made now when it starts the group):
    one of the holds it needs before it is payable."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    campaign_id = fields.String(required=True)
    group_id = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    held_at = fields.AwareDateTime(required=True)


@event_schema("GroupSlotRejected", 1)
class GroupSlotRejectedV1(EventSchema):
    """The group-buy order has no place in its group: the order is cancelled."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    campaign_id = fields.String(required=True)
    group_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        [reason.value for reason in GroupSlotRejection]))
    rejected_at = fields.AwareDateTime(required=True)


@event_schema("GroupBuySucceeded", 1)
class GroupBuySucceededV1(EventSchema):
    """Every place of the group is taken by a paid order: its orders go on to shipping."""

    group_id = fields.String(required=True)
    campaign_id = fields.String(required=True)
    order_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    succeeded_at = fields.AwareDateTime(required=True)


@event_schema("GroupBuyFailed", 1)
class GroupBuyFailedV1(EventSchema):
    """The group did not fill by its deadline: every order still in it is cancelled (paid
    ones refunded the way they were paid, stock released)."""

    group_id = fields.String(required=True)
    campaign_id = fields.String(required=True)
    order_ids = fields.List(fields.String(), required=True)
    failed_at = fields.AwareDateTime(required=True)


# -- flash sales (秒杀) -------------------------------------------------------------------


class FlashItemSchema(EventSchema):
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@event_schema("FlashSessionScheduled", 1)
class FlashSessionScheduledV1(EventSchema):
    """A flash session was created: the catalog holds its quantities apart from normal
    stock (answering FlashStockHeld) until FlashSessionEnded."""

    session_id = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    items = fields.List(fields.Nested(FlashItemSchema), required=True,
                        validate=validate.Length(min=1))
    scheduled_at = fields.AwareDateTime(required=True)


@event_schema("FlashSessionEnded", 1)
class FlashSessionEndedV1(EventSchema):
    """The session is over (its end passed, or it was cancelled): the catalog gives what is
    left of its hold back to normal stock."""

    session_id = fields.String(required=True)
    ended_at = fields.AwareDateTime(required=True)


@event_schema("FlashAttemptWon", 1)
class FlashAttemptWonV1(EventSchema):
    """The flash gate gave this attempt its units: the order service makes its one order
    (OrderPlaced with campaign.attempt_id) or answers FlashOrderRejected."""

    attempt_id = fields.String(required=True)
    session_id = fields.String(required=True)
    user_id = fields.String(required=True)
    sku = fields.String(required=True)
    product_id = fields.Integer(required=False, allow_none=True, strict=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    unit_price = fields.Nested(MoneySchema, required=True)
    address_id = fields.String(required=True)
    delivery_method = fields.String(required=True, validate=validate.OneOf(
        [method.value for method in DeliveryMethod]))
    # The order's payment deadline, counted from when it is placed.
    payment_timeout_s = fields.Integer(required=True, strict=True,
                                       validate=validate.Range(min=1))
    won_at = fields.AwareDateTime(required=True)
