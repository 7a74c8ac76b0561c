"""What the flash-sale routes take and answer."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from event_contracts.vocabulary import DeliveryMethod
from marketing.flash_domain import AttemptStatus, FlashStockStatus
from service_runtime.money import MoneySchema

MAX_ITEMS = 20
SESSION_STATES = ("upcoming", "running", "ended")


class NewFlashItemSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    product_id = fields.Integer(strict=True, allow_none=True, load_default=None,
                                validate=validate.Range(min=1))
    flash_price = fields.Nested(MoneySchema, required=True)
    quantity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=1_000_000))
    per_user_limit = fields.Integer(strict=True, load_default=1,
                                    validate=validate.Range(min=1, max=100))


class NewFlashSessionSchema(Schema):
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    payment_minutes = fields.Integer(strict=True, load_default=None,
                                     validate=validate.Range(min=1, max=24 * 60))
    payment_seconds = fields.Integer(strict=True, load_default=None,
                                     validate=validate.Range(min=1, max=24 * 3600),
                                     metadata={"description": "instead of payment_minutes "
                                                              "(tests); default 5 minutes"})
    items = fields.List(fields.Nested(NewFlashItemSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_ITEMS))

    class Meta:
        json_schema = {"not": {"required": ["payment_minutes", "payment_seconds"]}}

    @validates_schema
    def one_deadline(self, data: dict, **_kwargs: object) -> None:
        if data.get("payment_minutes") and data.get("payment_seconds"):
            raise ValidationError("give payment_minutes or payment_seconds, not both",
                                  "payment_seconds")


class FlashItemSchema(Schema):
    sku = fields.String()
    product_id = fields.Integer(allow_none=True)
    flash_price = fields.Nested(MoneySchema)
    quantity = fields.Integer(metadata={"description": "held by the catalog once known"})
    remaining = fields.Integer()
    per_user_limit = fields.Integer()
    stock_status = fields.String(validate=validate.OneOf([s.value for s in FlashStockStatus]))


class FlashSessionSchema(Schema):
    id = fields.String()
    name = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    payment_seconds = fields.Integer()
    state = fields.String(validate=validate.OneOf(SESSION_STATES))
    server_time = fields.AwareDateTime()
    items = fields.List(fields.Nested(FlashItemSchema))


class FlashSessionListSchema(Schema):
    items = fields.List(fields.Nested(FlashSessionSchema))
    server_time = fields.AwareDateTime()


class FlashSessionPatchSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ended"]),
                           metadata={"description": "end the session now"})


class AttemptRequestSchema(Schema):
    quantity = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=100))
    address_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    delivery_method = fields.String(load_default=DeliveryMethod.STANDARD.value,
                                    validate=validate.OneOf([m.value for m in DeliveryMethod]))


class AttemptAcceptedSchema(Schema):
    attempt_id = fields.String()
    status = fields.String()
    server_time = fields.AwareDateTime()


class AttemptSchema(Schema):
    attempt_id = fields.String()
    session_id = fields.String()
    sku = fields.String()
    quantity = fields.Integer()
    status = fields.String(validate=validate.OneOf([s.value for s in AttemptStatus]))
    reason = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    payment_due_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    server_time = fields.AwareDateTime()
