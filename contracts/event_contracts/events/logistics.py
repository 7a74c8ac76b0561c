"""Events the logistics service produces."""

from marshmallow import fields

from event_contracts.registry import EventSchema, event_schema


@event_schema("Shipped", 1)
class ShippedV1(EventSchema):
    """The merchant handed the order's parcel to a carrier (or to the pickup point). An
    exchange's replacement parcel is ``ReplacementShipped``."""

    shipment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True)
    shipped_at = fields.AwareDateTime(required=True)
    estimated_delivery = fields.Date(required=False, allow_none=True)


@event_schema("Delivered", 1)
class DeliveredV1(EventSchema):
    """The carrier delivered the order's parcel (or the buyer collected a pickup order).
    An exchange's replacement parcel is ``ReplacementDelivered``."""

    shipment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    delivered_at = fields.AwareDateTime(required=True)
    # Always null: released when replacements were delivered as ``Delivered`` too, kept so
    # consumers built against that release still read this version.
    return_id = fields.String(required=False, allow_none=True)


@event_schema("ReplacementShipped", 1)
class ReplacementShippedV1(EventSchema):
    """The merchant sent the replacement of an exchange (``return_id``); the order's own
    parcel, its stock and its payment are not involved."""

    shipment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    return_id = fields.String(required=True)
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True)
    shipped_at = fields.AwareDateTime(required=True)
    estimated_delivery = fields.Date(required=False, allow_none=True)


@event_schema("ReplacementDelivered", 1)
class ReplacementDeliveredV1(EventSchema):
    """The replacement of an exchange (``return_id``) reached the buyer."""

    shipment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    return_id = fields.String(required=True)
    delivered_at = fields.AwareDateTime(required=True)
