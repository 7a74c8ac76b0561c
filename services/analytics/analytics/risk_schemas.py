"""Request and response schemas of the admin's risk flags."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from event_contracts.events.analytics import RISK_RULES
from service_runtime.paging import PageQuerySchema


class RiskFlagQuerySchema(PageQuerySchema):
    rule = fields.String(load_default=None, validate=validate.OneOf(RISK_RULES),
                         metadata={"description": "only the flags of this rule"})
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                            metadata={"description": "only the flags about this user"})
    resolved = fields.Boolean(load_default=None, metadata={
        "description": "true: only resolved flags; false: only open ones; absent: both"})


class RiskEvidenceSchema(Schema):
    event_ids = fields.List(fields.String(), metadata={
        "description": "the events counted, oldest first (at most the newest 100)"})
    window_seconds = fields.Integer(metadata={"description": "the rule's window"})
    signals = fields.Integer(metadata={
        "description": "events counted (a rule counting accounts tried counts each once)"})
    orders = fields.Integer(metadata={"description": "refund abuse: the user's orders"})
    refunded_orders = fields.Integer()
    refund_rate = fields.Float()
    platform_refund_rate = fields.Float()
    rate_limit = fields.Float(metadata={"description": "the rate the user's reached"})


class RiskFlagSchema(Schema):
    id = fields.String()
    rule = fields.String(metadata={"enum": list(RISK_RULES)})
    subject = fields.String(metadata={
        "description": "a user id, a sign-in account's digest or a client address"})
    user_id = fields.String(allow_none=True)
    count = fields.Integer(metadata={"description": "what the rule counted in the window"})
    threshold = fields.Integer()
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    evidence = fields.Nested(RiskEvidenceSchema)
    raised_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)


class RiskFlagPageSchema(Schema):
    items = fields.List(fields.Nested(RiskFlagSchema))
    next_cursor = fields.String(allow_none=True)


class ResolveSchema(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=500),
                         metadata={"description": "what was found or done"})
