"""Admin routes of the middle-platform feed's partner webhooks: endpoints, dead letters
and their replay (``analytics.webhooks``). Under the analytics admin prefix, so the
gateway's route to it already covers them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from analytics import webhooks
from event_contracts.integration import EntityType
from service_runtime.app import current_db, current_settings
from service_runtime.auth import ADMIN
from service_runtime.bounds import INT32_MAX
from service_runtime.openapi import SecuredBlueprint
from service_runtime.paging import Cursor, page_limit

feeds = SecuredBlueprint("integration_admin", __name__,
                         url_prefix="/api/v1/admin/analytics/integration",
                         description="Middle-platform feed: partner webhooks (admin)",
                         role=ADMIN)

ENTITY_TYPES = [t.value for t in EntityType]
URL_RULE = ("Must be https (http only where ANALYTICS_WEBHOOK_ALLOW_HTTP allows it) to a "
            "host that resolves only to public addresses (or ones in "
            "ANALYTICS_WEBHOOK_ALLOWED_NETWORKS); otherwise 422 webhook-url-refused.")


def _name(required: bool) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=1, max=100))


def _url(required: bool) -> fields.Url:
    return fields.Url(required=required, schemes={"http", "https"}, require_tld=False,
                      validate=validate.Length(max=2000), metadata={"description": URL_RULE})


def _entity_types(required: bool) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(ENTITY_TYPES)),
                       required=required, validate=validate.Length(min=1, max=5))


def _secret() -> fields.String:
    # The HMAC key; generated when left out. Returned once, in this answer.
    return fields.String(load_default=None, validate=validate.Length(min=16, max=200))


class EndpointInSchema(Schema):
    name = _name(required=True)
    url = _url(required=True)
    entity_types = _entity_types(required=True)
    secret = _secret()


class EndpointPatchSchema(Schema):
    """Only the fields given change; the secret has its own route."""

    name = _name(required=False)
    url = _url(required=False)
    entity_types = _entity_types(required=False)
    active = fields.Boolean(metadata={
        "description": "false: no new records are queued for it and its pending "
                       "deliveries wait; true again: they go out, in order"})

    @validates_schema
    def not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("give at least one of name, url, entity_types, active")


class SecretInSchema(Schema):
    secret = _secret()


class EndpointSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String()
    entity_types = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class CreatedEndpointSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "the signing key: shown only here"})


class EndpointListSchema(Schema):
    items = fields.List(fields.Nested(EndpointSchema))


class DeadLetterQuerySchema(Schema):
    limit = page_limit()
    cursor = Cursor(pattern=r"[0-9]{1,18}", decode=int)


class DeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    entity_type = fields.String()
    entity_id = fields.String()
    sequence = fields.Integer()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    parked_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DeadLetterPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.String(allow_none=True)


class ReplaySchema(Schema):
    # Leave out to replay every dead letter.
    delivery_ids = fields.List(fields.Integer(strict=True,
                                              validate=validate.Range(min=1, max=INT32_MAX)),
                               load_default=None, validate=validate.Length(min=1, max=1000))


class ReplayedSchema(Schema):
    replayed = fields.Integer()


@feeds.route("/webhooks")
class Endpoints(MethodView):
    @feeds.response(200, EndpointListSchema)
    def get(self) -> dict[str, Any]:
        """The partner endpoints (their secrets are never shown again)."""
        return {"items": webhooks.list_endpoints(current_db())}

    @feeds.arguments(EndpointInSchema)
    @feeds.response(201, CreatedEndpointSchema)
    @feeds.alt_response(409, description="An endpoint of this name exists")
    def post(self, body: dict[str, Any]) -> Any:
        """Add a partner endpoint: records of its entity types made from now on are
        POSTed to it, signed with its secret."""
        return webhooks.create_endpoint(current_db(), body["name"], body["url"],
                                        body["entity_types"],
                                        current_settings().webhook_url_policy(),
                                        body["secret"])


@feeds.route("/webhooks/<int:endpoint_id>")
class Endpoint(MethodView):
    @feeds.response(200, EndpointSchema)
    @feeds.alt_response(404, description="No such endpoint")
    def get(self, endpoint_id: int) -> Any:
        """One partner endpoint (without its secret)."""
        return webhooks.get_endpoint(current_db(), endpoint_id)

    @feeds.arguments(EndpointPatchSchema)
    @feeds.response(200, EndpointSchema)
    @feeds.alt_response(404, description="No such endpoint")
    @feeds.alt_response(409, description="Another endpoint has this name")
    def patch(self, body: dict[str, Any], endpoint_id: int) -> Any:
        """Change an endpoint's name, URL, entity types or whether it is active. Entity
        types count for records made from now on; deactivating keeps its pending
        deliveries, which go out in order once it is active again."""
        return webhooks.update_endpoint(current_db(), endpoint_id, body,
                                        current_settings().webhook_url_policy())


@feeds.route("/webhooks/<int:endpoint_id>/secret")
class EndpointSecret(MethodView):
    @feeds.arguments(SecretInSchema)
    @feeds.response(200, CreatedEndpointSchema)
    @feeds.alt_response(404, description="No such endpoint")
    def post(self, body: dict[str, Any], endpoint_id: int) -> Any:
        """Replace the signing key (generated when not given), returned once, here. Every
        try from now on, pending deliveries' too, is signed with the new key."""
        return webhooks.rotate_secret(current_db(), endpoint_id, body["secret"])


@feeds.route("/dead-letters")
class DeadLetters(MethodView):
    @feeds.arguments(DeadLetterQuerySchema, location="query")
    @feeds.response(200, DeadLetterPageSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Deliveries parked after their last attempt, oldest first."""
        return webhooks.dead_letters(current_db(), query["limit"], query["cursor"])


@feeds.route("/dead-letters/replay")
class Replay(MethodView):
    @feeds.arguments(ReplaySchema)
    @feeds.response(200, ReplayedSchema)
    def post(self, body: dict[str, Any]) -> dict[str, int]:
        """Try parked deliveries again (these, or all) with a fresh set of attempts."""
        return {"replayed": webhooks.replay(current_db(), body["delivery_ids"])}
