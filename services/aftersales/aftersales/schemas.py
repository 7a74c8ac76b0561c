"""Request and response bodies of the after-sales API."""

from marshmallow import Schema, fields, validate

from aftersales.domain import (
    MAX_REASON,
    MAX_RETURN_LINES,
    MAX_REVIEW_IMAGES,
    MAX_REVIEW_TEXT,
    MAX_TICKET_MESSAGE,
    MAX_TICKET_SUBJECT,
    RETURN_STATUSES,
    RETURN_TYPES,
    TICKET_STATUSES,
    mask_user,
)
from service_runtime.bounds import INT32_MAX
from service_runtime.money import MoneySchema
from service_runtime.paging import PageQuerySchema

SKU_CODE = validate.And(
    validate.Length(min=1, max=64),
    validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", error="letters, digits, . _ - only"),
)
ORDER_ID = validate.Length(min=1, max=64)


def _text(max_length: int, **kwargs):  # type: ignore[no-untyped-def]
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


# -- returns ------------------------------------------------------------------------


class ReturnLineInSchema(Schema):
    sku = fields.String(required=True, validate=SKU_CODE)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=999))


class NewReturnSchema(Schema):
    order_id = fields.String(required=True, validate=ORDER_ID)
    type = fields.String(required=True, validate=validate.OneOf(RETURN_TYPES))
    lines = fields.List(fields.Nested(ReturnLineInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_RETURN_LINES))
    reason = _text(MAX_REASON, required=True)


class RejectSchema(Schema):
    reason = _text(MAX_REASON, required=True)


class AdminReturnQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(RETURN_STATUSES))
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                            metadata={"description": "only this customer's"})
    order_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                             metadata={"description": "only those about this order"})


class ReturnLineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()


class StepSchema(Schema):
    step = fields.String(metadata={
        "description": "requested, approved, rejected, goods_received, refunded, exchanged, "
                       "replacement_shipped, replacement_delivered"})
    at = fields.AwareDateTime()
    note = fields.String(allow_none=True)


class ReturnSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    user_id = fields.String()
    type = fields.String()
    status = fields.String(metadata={
        "description": "requested -> approved -> (return_refund, exchange: received) -> "
                       "refunded | exchanged; or rejected"})
    lines = fields.List(fields.Nested(ReturnLineSchema))
    reason = fields.String()
    refund = fields.Nested(MoneySchema, metadata={"description": "Asked for (0 for exchange)"})
    refunded = fields.Nested(MoneySchema, metadata={"description": "Refunded so far"})
    reject_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    timeline = fields.List(fields.Nested(StepSchema))


class ReturnPageSchema(Schema):
    items = fields.List(fields.Nested(ReturnSchema))
    next_cursor = fields.String(allow_none=True)


# -- reviews ------------------------------------------------------------------------


class NewReviewSchema(Schema):
    order_id = fields.String(required=True, validate=ORDER_ID)
    product_id = fields.Integer(required=True, strict=True,
                                validate=validate.Range(min=1, max=INT32_MAX))
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    text = _text(MAX_REVIEW_TEXT, required=True)
    images = fields.List(fields.Url(schemes={"https"}, validate=validate.Length(max=500)),
                         load_default=list, validate=validate.Length(max=MAX_REVIEW_IMAGES))


class MaskedUser(fields.String):
    """A user id shown to the public: masked, so reviewers stay anonymous."""

    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        return super()._serialize(mask_user(value), attr, obj, **kwargs)


class ReviewSchema(Schema):
    id = fields.String()
    product_id = fields.Integer()
    order_id = fields.String()
    author = MaskedUser(attribute="user_id", metadata={"description": "The reviewer, masked"})
    rating = fields.Integer()
    text = fields.String()
    images = fields.List(fields.String())
    posted_at = fields.AwareDateTime(attribute="created_at")


class RatingSummarySchema(Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "2 decimals; null if none"})
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer(),
                               metadata={"description": "Reviews per star, \"1\" to \"5\""})


class ReviewPageSchema(Schema):
    product_id = fields.Integer()
    summary = fields.Nested(RatingSummarySchema)
    items = fields.List(fields.Nested(ReviewSchema))
    next_cursor = fields.String(allow_none=True)


# -- tickets ------------------------------------------------------------------------


class NewTicketSchema(Schema):
    order_id = fields.String(load_default=None, validate=ORDER_ID)
    subject = _text(MAX_TICKET_SUBJECT, required=True)
    message = _text(MAX_TICKET_MESSAGE, required=True)


class TicketMessageInSchema(Schema):
    message = _text(MAX_TICKET_MESSAGE, required=True)


class AdminTicketQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(TICKET_STATUSES))
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                            metadata={"description": "only this customer's"})
    order_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                             metadata={"description": "only those about this order"})


class MessageAuthor(fields.String):
    """Who wrote a ticket message, as the customer sees it: staff or the customer."""

    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        return super()._serialize("staff" if value else "customer", attr, obj, **kwargs)


class TicketMessageSchema(Schema):
    author = MessageAuthor(attribute="from_staff", metadata={"description": "customer or staff"})
    body = fields.String()
    created_at = fields.AwareDateTime()


class TicketSummarySchema(Schema):
    """A ticket in a list: without its messages."""

    id = fields.String()
    user_id = fields.String()
    order_id = fields.String(allow_none=True)
    subject = fields.String()
    status = fields.String(metadata={"enum": list(TICKET_STATUSES),
                                     "description": "open, answered by staff, or closed"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class TicketSchema(TicketSummarySchema):
    messages = fields.List(fields.Nested(TicketMessageSchema))


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSummarySchema))
    next_cursor = fields.String(allow_none=True)
