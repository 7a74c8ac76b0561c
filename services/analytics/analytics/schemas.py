"""What the analytics API takes and answers (its OpenAPI document is made from these)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from analytics import domain
from analytics.domain import EventType, FunnelStep, SalesGrouping
from service_runtime.bounds import INT32_MAX, QueryInteger
from service_runtime.ids import utcnow


class TrackEventSchema(Schema):
    """One behaviour event. The user is never named here: it comes from the access token."""

    type = fields.String(required=True, validate=validate.OneOf([t.value for t in EventType]))
    # What was clicked, which error, which anomaly (e.g. ``pay``, ``repeated_refresh``).
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=domain.MAX_NAME))
    occurred_at = fields.AwareDateTime(required=True)
    session_id = fields.String(required=True,
                               validate=validate.Length(min=1, max=domain.MAX_SESSION_ID))
    # The client's id of the event: a retried batch is kept once. Without it, the event's
    # content stands in (see ``domain.content_event_id``).
    event_id = fields.String(load_default=None,
                             validate=validate.Length(min=1, max=domain.MAX_EVENT_ID))
    path = fields.String(load_default=None, validate=validate.Length(max=domain.MAX_PATH))
    product_id = fields.Integer(load_default=None, strict=True,
                                validate=validate.Range(min=1, max=INT32_MAX))
    props = fields.Dict(keys=fields.String(), load_default=None, metadata={
        "description": f"at most {domain.MAX_PROPS} properties, each text (at most "
                       f"{domain.MAX_PROP_TEXT} characters), a number, true/false or null; "
                       f"at most {domain.MAX_PROPS_BYTES} bytes as JSON",
        "maxProperties": domain.MAX_PROPS,
        "additionalProperties": {"nullable": True, "anyOf": [
            {"type": "string", "maxLength": domain.MAX_PROP_TEXT}, {"type": "number"},
            {"type": "boolean"}]}})

    @validates("occurred_at")
    def recent(self, value: Any, **_kwargs: Any) -> None:
        try:
            domain.check_occurred_at(value, utcnow())
        except ValueError as error:
            raise ValidationError(str(error)) from error

    @validates("props")
    def small(self, value: Any, **_kwargs: Any) -> None:
        if value is not None:
            try:
                domain.check_props(value)
            except ValueError as error:
                raise ValidationError(str(error)) from error


class EventList(fields.List):
    """A list of events, documented as ``TrackEventSchema`` items but loaded as they came:
    each is checked on its own (``analytics.tracking``), so one bad event is reported by
    its index and the others are kept."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


class TrackBatchSchema(Schema):
    events = EventList(fields.Nested(TrackEventSchema), required=True,
                       validate=validate.Length(min=1, max=domain.MAX_EVENTS_PER_BATCH))


class EventProblemSchema(Schema):
    field = fields.String(metadata={"example": "occurred_at"})
    messages = fields.List(fields.String())


class EventErrorSchema(Schema):
    index = fields.Integer(metadata={"description": "the event's place in ``events``, from 0"})
    problems = fields.List(fields.Nested(EventProblemSchema))


class TrackResultSchema(Schema):
    accepted = fields.Integer(metadata={"description": "events kept now"})
    duplicates = fields.Integer(metadata={"description": "valid events kept before (a retry)"})
    errors = fields.List(fields.Nested(EventErrorSchema))


class WindowQuerySchema(Schema):
    """Whole UTC days, both included."""

    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")


class SalesQuerySchema(WindowQuerySchema):
    group_by = fields.String(load_default=SalesGrouping.DAY.value,
                             validate=validate.OneOf([g.value for g in SalesGrouping]))
    currency = fields.String(load_default="CNY", validate=validate.Regexp(r"^[A-Z]{3}$"))
    limit = QueryInteger(minimum=1, maximum=1000, load_default=100, metadata={
        "description": "at most this many rows (by category or product: the largest GMV)"})


class SalesFiguresSchema(Schema):
    orders = fields.Integer(metadata={"description": "orders placed"})
    gmv = fields.Integer(metadata={"description": "what they were to pay, minor units"})
    paid_orders = fields.Integer()
    paid = fields.Integer(metadata={"description": "what was paid for them"})
    refunded = fields.Integer(metadata={"description": "what was refunded of them (by "
                                                       "category or product: pro rata)"})
    average_order_value = fields.Integer(metadata={"description": "gmv / orders, rounded"})


class SalesRowSchema(SalesFiguresSchema):
    day = fields.Date(metadata={"description": "group_by=day"})
    category_id = fields.Integer(allow_none=True, metadata={
        "description": "group_by=category (null: a product whose category is not known)"})
    product_id = fields.Integer(allow_none=True, metadata={"description": "group_by=product"})


class SalesReportSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    group_by = fields.String()
    currency = fields.String()
    rows = fields.List(fields.Nested(SalesRowSchema))
    totals = fields.Nested(SalesFiguresSchema)


class FunnelStepSchema(Schema):
    step = fields.String(validate=validate.OneOf([s.value for s in FunnelStep]))
    users = fields.Integer(metadata={"description": "signed-in users who took this step"})
    reached = fields.Integer(metadata={"description": "who took this step and every one "
                                                      "before it"})
    conversion = fields.Float(allow_none=True, metadata={
        "description": "reached / the previous step's reached (null for the first)"})


class FunnelReportSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    steps = fields.List(fields.Nested(FunnelStepSchema))
    overall_conversion = fields.Float(allow_none=True)
