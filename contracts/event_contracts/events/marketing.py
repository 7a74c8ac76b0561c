"""Events the marketing service produces."""

from enum import StrEnum

from marshmallow import fields, validate

from event_contracts.registry import EventSchema, event_schema


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
