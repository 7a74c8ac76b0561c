"""Events the user service produces."""

from marshmallow import fields, validate

from event_contracts.membership import LEVEL_VALUES
from event_contracts.registry import EventSchema, event_schema
from event_contracts.vocabulary import SignInFailure


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


SIGN_IN_FAILURES = tuple(reason.value for reason in SignInFailure)


@event_schema("SignInFailed", 1)
class SignInFailedV1(EventSchema):
    """A password sign-in was refused (its 401 or 423), for the risk rules to count.

    Never the password, nor the login as typed (a password typed into the login field
    would travel with it): ``account`` is the SHA-256 of the normalised login, which
    tells two attempts on one account apart from attempts on many without naming either.
    """

    account = fields.String(required=True, validate=validate.Length(equal=64))
    # The account's id when the login names one.
    user_id = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True, validate=validate.OneOf(SIGN_IN_FAILURES))
    # The client as the service saw it (the gateway's X-Forwarded-For, when trusted).
    client_address = fields.String(required=True, validate=validate.Length(max=64))
    failed_at = fields.AwareDateTime(required=True)


@event_schema("PointsLocked", 1)
class PointsLockedV1(EventSchema):
    """Points held for this unpaid order (spent when it is paid, back when it is cancelled)."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    locked_at = fields.AwareDateTime(required=True)


POINTS_REJECTION_REASONS = ("not_enough_points",)


@event_schema("PointsRejected", 1)
class PointsRejectedV1(EventSchema):
    """The order's points could not be locked: the order is cancelled with this reason."""

    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    reason = fields.String(required=True, validate=validate.OneOf(POINTS_REJECTION_REASONS))
    rejected_at = fields.AwareDateTime(required=True)


@event_schema("MembershipChanged", 1)
class MembershipChangedV1(EventSchema):
    """A member's level, growth value or points balance changed (the newest state: other
    services keep a copy for member prices and perks, newest ``changed_at`` wins)."""

    user_id = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVEL_VALUES))
    growth = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    points_balance = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    changed_at = fields.AwareDateTime(required=True)


@event_schema("MemberLevelReached", 1)
class MemberLevelReachedV1(EventSchema):
    """A member climbed to a new level (once per level reached: its level coupons follow)."""

    user_id = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVEL_VALUES))
    previous_level = fields.String(required=True, validate=validate.OneOf(LEVEL_VALUES))
    reached_at = fields.AwareDateTime(required=True)
