"""Events the analytics service produces."""

from marshmallow import fields, validate

from event_contracts.registry import EventSchema, event_schema
from event_contracts.vocabulary import RiskRule

RISK_RULES = tuple(rule.value for rule in RiskRule)
MAX_EVIDENCE_EVENTS = 100


@event_schema("RiskFlagRaised", 1)
class RiskFlagRaisedV1(EventSchema):
    """A risk rule's threshold was reached for one subject within one window.

    Raised once per subject, rule and window: the events after it count towards the
    next flag only. ``event_ids`` are the events counted (at most 100, the newest)."""

    flag_id = fields.String(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(RISK_RULES))
    # What the rule counts by: a user id, a hashed sign-in account or a client address.
    subject = fields.String(required=True)
    user_id = fields.String(required=True, allow_none=True)
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    threshold = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    window_start = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(required=True)
    event_ids = fields.List(fields.String(), required=True,
                            validate=validate.Length(min=1, max=MAX_EVIDENCE_EVENTS))
    raised_at = fields.AwareDateTime(required=True)
