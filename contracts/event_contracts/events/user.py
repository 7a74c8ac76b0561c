"""Events the user service produces."""

from marshmallow import fields, validate

from event_contracts.registry import EventSchema, event_schema


@event_schema("UserRegistered", 1)
class UserRegisteredV1(EventSchema):
    user_id = fields.String(required=True)
    email = fields.String(required=False, allow_none=True)
    phone = fields.String(required=False, allow_none=True)
    nickname = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)


SESSION_REVOCATION_REASONS = ("logout", "refresh_token_reused")


@event_schema("SessionsRevoked", 1)
class SessionsRevokedV1(EventSchema):
    """Sign-ins (refresh-token families, the ``sid`` of their access tokens) that ended.

    Their refresh tokens are dead; their access tokens are refused within seconds by
    every verifier (which reads the user service's deny-list, not this event) and expire
    by ``tokens_expire_by`` at the latest.
    """

    user_id = fields.String(required=True)
    session_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.OneOf(SESSION_REVOCATION_REASONS))
    revoked_at = fields.AwareDateTime(required=True)
    tokens_expire_by = fields.AwareDateTime(required=True)
