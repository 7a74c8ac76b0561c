"""Events the user service produces."""

from marshmallow import fields

from event_contracts.registry import EventSchema, event_schema


@event_schema("UserRegistered", 1)
class UserRegisteredV1(EventSchema):
    user_id = fields.String(required=True)
    email = fields.String(required=False, allow_none=True)
    phone = fields.String(required=False, allow_none=True)
    nickname = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)
