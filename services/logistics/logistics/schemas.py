"""Request and response bodies of the logistics API (unknown request fields are a 422)."""

from marshmallow import Schema, ValidationError, fields, validate

from event_contracts.common import ShippingAddressSchema
from event_contracts.vocabulary import DeliveryMethod
from logistics.domain import (
    PICKUP_CODE_PATTERN,
    TRACKING_NUMBER_PATTERN,
    TRACKING_STATUSES,
    Carrier,
    ShipmentStatus,
)
from service_runtime.paging import Cursor, page_limit

SHIPMENT_ID_PATTERN = r"^shp_[0-9a-f]{22}$"
TRACKING_NUMBER = validate.Regexp(TRACKING_NUMBER_PATTERN,
                                  error="4-40 letters, digits or dashes")
MAX_CALLBACK_EVENTS = 100
SHIPMENT_STATUSES = [status.value for status in ShipmentStatus]
CARRIERS = [carrier.value for carrier in Carrier]
DELIVERY_METHODS = [method.value for method in DeliveryMethod]


def printable(value: str) -> None:
    """Text that is stored or searched: no control characters (a NUL never even gets this
    far: the runtime refuses it for every service)."""
    if not value.isprintable():
        raise ValidationError("must be printable text")



# -- requests -------------------------------------------------------------------------


class ShipmentQuerySchema(Schema):
    order_id = fields.String(load_default=None,
                             validate=[validate.Length(min=1, max=100), printable])
    status = fields.String(load_default=None, validate=validate.OneOf(SHIPMENT_STATUSES))
    intercept_requested = fields.Boolean(load_default=None, metadata={
        "description": "true: parcels whose order was cancelled after they left"})
    cursor = Cursor(SHIPMENT_ID_PATTERN.strip("^$"))
    limit = page_limit()


class ShipSchema(Schema):
    carrier = fields.String(required=True, validate=validate.OneOf(CARRIERS), metadata={
        "description": "store: a pickup order moved to the pickup point"})
    tracking_number = fields.String(required=True, validate=TRACKING_NUMBER)


class CollectSchema(Schema):
    pickup_code = fields.String(
        required=True, validate=validate.Regexp(PICKUP_CODE_PATTERN, error="six digits"),
        metadata={"description": "The code the buyer shows at the pickup point"})


class CarrierEventSchema(Schema):
    event_id = fields.String(required=True, validate=[validate.Length(min=1, max=64), printable],
                             metadata={"description": "The carrier's id; each applies once"})
    status = fields.String(required=True, validate=validate.OneOf(TRACKING_STATUSES))
    at = fields.AwareDateTime(required=True)
    location = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(max=200))
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=500))


class CarrierCallbackSchema(Schema):
    tracking_number = fields.String(required=True, validate=TRACKING_NUMBER)
    events = fields.List(fields.Nested(CarrierEventSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_CALLBACK_EVENTS))


# -- responses ------------------------------------------------------------------------


class TimelineEntrySchema(Schema):
    status = fields.String()
    description = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class LineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()


class PickupCode(fields.String):
    """Shown for a pickup only: the code is what the buyer shows at the counter."""

    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        shown = value if obj.delivery_method == DeliveryMethod.PICKUP else None
        return super()._serialize(shown, attr, obj, **kwargs)


class TrackedShipmentSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"enum": SHIPMENT_STATUSES})
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    delivery_method = fields.String(allow_none=True, metadata={"enum": DELIVERY_METHODS})
    estimated_delivery = fields.Date(allow_none=True)
    cash_on_delivery = fields.Boolean(metadata={"description": "Pay the courier on delivery"})
    pickup_code = PickupCode(allow_none=True, metadata={
        "description": "Pickup orders only: show it at the pickup point to collect"})
    replacement_for_return = fields.String(attribute="return_id", allow_none=True, metadata={
        "description": "The exchange this shipment replaces goods for, if any"})
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class TrackingSchema(Schema):
    order_id = fields.String()
    shipments = fields.List(fields.Nested(TrackedShipmentSchema))


class AdminShipmentSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    user_id = fields.String(attribute="order.user_id", allow_none=True)
    return_id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": SHIPMENT_STATUSES})
    delivery_method = fields.String(allow_none=True, metadata={
        "description": "null until the order's details arrived; it cannot ship before"})
    address_id = fields.String(attribute="order.address_id", allow_none=True)
    shipping_address = fields.Nested(ShippingAddressSchema, attribute="order.shipping_address",
                                     allow_none=True, metadata={
        "description": "where it goes: the buyer's address at checkout; null until known"})
    lines = fields.List(fields.Nested(LineSchema), attribute="contents")
    cash_on_delivery = fields.Boolean()
    estimated_delivery = fields.Date(allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    ready_at = fields.AwareDateTime()
    shipped_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    intercept_requested_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "set when the order was cancelled after this parcel left"})
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class ShipmentPageSchema(Schema):
    items = fields.List(fields.Nested(AdminShipmentSchema))
    next_cursor = fields.String(allow_none=True)


class CallbackResultSchema(Schema):
    shipment_id = fields.String()
    status = fields.String()
    applied = fields.Integer(metadata={"description": "Events recorded now"})
    duplicates = fields.Integer(metadata={"description": "Events recorded before, ignored"})
