"""Events the logistics service produces."""

from marshmallow import fields

from event_contracts.registry import EventSchema, event_schema


@event_schema("Shipped", 1)
class ShippedV1(EventSchema):
    shipment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True)
    shipped_at = fields.AwareDateTime(required=True)
    estimated_delivery = fields.Date(required=False, allow_none=True)
    # Set on a replacement shipment for an exchange; such a shipment does not move the
    # order's status or its stock reservation.
    return_id = fields.String(required=False, allow_none=True)


@event_schema("Delivered", 1)
class DeliveredV1(EventSchema):
    """The carrier delivered a shipment (or the buyer collected a pickup order)."""

    shipment_id = fields.String(required=True)
    order_id = fields.String(required=True)
    delivered_at = fields.AwareDateTime(required=True)
    return_id = fields.String(required=False, allow_none=True)
