"""HTTP routes of starting and joining a group buy (拼团): parse, call one use case,
serialize. The gateway sends these two to the order service; everything else under
``/group-buys`` is the marketing service's."""

from flask import request
from flask.views import MethodView

from order import group_checkout
from order.campaign_client import CampaignClient
from order.cart_and_user_client import CartAndUserClient
from order.pricing_client import PricingClient
from order.schemas import GroupOrderResultSchema, GroupOrderSchema
from service_runtime.app import current_db, current_settings
from service_runtime.http import current_user_id, idempotency_key, idempotent
from service_runtime.openapi import SecuredBlueprint

group_blp = SecuredBlueprint("group-buy-orders", __name__, url_prefix="/api/v1/group-buys",
                             description="Start or join a group buy (signed in)")


def _input(body):  # type: ignore[no-untyped-def]
    return group_checkout.GroupOrderInput(body["quantity"], body["address_id"],
                                          body["delivery_method"])


def _placing() -> group_checkout.Placing:
    settings = current_settings()
    authorization = request.headers.get("Authorization")
    return group_checkout.Placing(
        read_address=CartAndUserClient.for_caller(settings, authorization).shipping_address,
        quote=PricingClient.for_caller(settings, authorization).quote,
        campaigns=CampaignClient.for_caller(settings, authorization),
        payment_timeout_s=settings.payment_timeout_s)


def _answer(order, created, group):  # type: ignore[no-untyped-def]
    return {"group": group, "order": order}, 201 if created else 200


@group_blp.route("/<string(maxlength=40):campaign_id>/groups")
class StartGroup(MethodView):
    @group_blp.arguments(GroupOrderSchema)
    @group_blp.response(201, GroupOrderResultSchema)
    @group_blp.alt_response(200, schema=GroupOrderResultSchema,
                            description="Replay of an Idempotency-Key")
    @idempotent(group_blp)
    def post(self, body, campaign_id):  # type: ignore[no-untyped-def]
        """Start a group: an order at the group price (paid as any order, never cash on
        delivery). It ships once the group is full and every member paid by
        `expires_at`; otherwise it is cancelled and refunded. 404 unknown campaign, 409
        not running or the buyer's limit reached."""
        return _answer(*group_checkout.start_group(
            current_db(), current_user_id(), campaign_id, _input(body), idempotency_key(),
            _placing()))


@group_blp.route("/groups/<string(maxlength=64):group_id>/join")
class JoinGroup(MethodView):
    @group_blp.arguments(GroupOrderSchema)
    @group_blp.response(201, GroupOrderResultSchema)
    @group_blp.alt_response(200, schema=GroupOrderResultSchema,
                            description="Replay of an Idempotency-Key")
    @idempotent(group_blp)
    def post(self, body, group_id):  # type: ignore[no-untyped-def]
        """Join an open group: an order at the group price. 404 unknown group, 409
        `group-not-joinable` (full, closed, already in it) or the buyer's limit reached.
        Two buyers racing for the last place: one order gets it, the other is cancelled
        (`group_buy`)."""
        return _answer(*group_checkout.join_group(
            current_db(), current_user_id(), group_id, _input(body), idempotency_key(),
            _placing()))
