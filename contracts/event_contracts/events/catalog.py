"""Events the catalog service produces."""

from marshmallow import fields, validate

from event_contracts.common import MoneySchema, QuantityLineSchema
from event_contracts.registry import EventSchema, event_schema


class ProductSkuSchema(EventSchema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    price = fields.Nested(MoneySchema, required=True)
    attributes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    available = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


@event_schema("ProductUpdated", 1)
class ProductUpdatedV1(EventSchema):
    """A product was created or changed (name, prices, SKUs, stock): its current state."""

    product_id = fields.Integer(required=True, strict=True)
    name = fields.String(required=True)
    brand = fields.String(required=True)
    category_id = fields.Integer(required=True, strict=True)
    # The category's ancestors, root first, ending with ``category_id`` (promotion scopes:
    # a category counts with its whole subtree).
    category_path = fields.List(fields.Integer(strict=True), required=False)
    skus = fields.List(fields.Nested(ProductSkuSchema), required=True)
    updated_at = fields.AwareDateTime(required=True)


@event_schema("StockReserved", 1)
class StockReservedV1(EventSchema):
    """Every line of an order is reserved."""

    order_id = fields.String(required=True)
    lines = fields.List(
        fields.Nested(QuantityLineSchema), required=True, validate=validate.Length(min=1)
    )
    reserved_at = fields.AwareDateTime(required=True)


class RejectedLineSchema(EventSchema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    requested = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    available = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


STOCK_REJECTION_REASONS = ("insufficient_stock", "unknown_sku")


@event_schema("StockRejected", 1)
class StockRejectedV1(EventSchema):
    """Some line of an order could not be reserved, so nothing of it was."""

    order_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(STOCK_REJECTION_REASONS))
    lines = fields.List(
        fields.Nested(RejectedLineSchema), required=True, validate=validate.Length(min=1)
    )
    rejected_at = fields.AwareDateTime(required=True)


class FlashHeldItemSchema(EventSchema):
    sku = fields.String(required=True)
    requested = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    # What the catalog could set apart (less than requested when stock was short; 0 for an
    # unknown SKU): the session sells exactly this many.
    held = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


@event_schema("FlashStockHeld", 1)
class FlashStockHeldV1(EventSchema):
    """The catalog set a flash session's units apart from normal stock (answer to
    FlashSessionScheduled, once). Flash orders take their units from this hold; a
    cancelled one gives them back to it while the session lasts."""

    session_id = fields.String(required=True)
    items = fields.List(fields.Nested(FlashHeldItemSchema), required=True)
    held_at = fields.AwareDateTime(required=True)
