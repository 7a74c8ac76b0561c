"""HTTP routes of the order service: parse, call one use case, serialize."""

from flask import request
from flask.views import MethodView

from order import buyer_orders, checkout, pricing
from order.cart_and_user_client import CartAndUserClient
from order.domain import OrderStatus, RequestedLine
from order.pricing_client import PricingClient
from order.quote_schemas import CheckoutPreviewSchema, QuoteSchema
from order.schemas import (
    CancelOrderSchema,
    OrderListQuerySchema,
    OrderPageSchema,
    OrderSchema,
    PlaceOrderSchema,
)
from service_runtime.app import current_db, current_settings
from service_runtime.http import current_user_id, idempotency_key, idempotent
from service_runtime.openapi import SecuredBlueprint

blp = SecuredBlueprint("orders", __name__, url_prefix="/api/v1/orders",
                       description="Orders (signed in)")
checkout_blp = SecuredBlueprint("checkout", __name__, url_prefix="/api/v1/checkout",
                                description="Checkout (signed in)")


def _requested(lines):  # type: ignore[no-untyped-def]
    return None if lines is None else [RequestedLine(li["sku"], li["quantity"]) for li in lines]


@checkout_blp.route("/preview")
class CheckoutPreview(MethodView):
    @checkout_blp.arguments(CheckoutPreviewSchema)
    @checkout_blp.response(200, QuoteSchema)
    def post(self, body):  # type: ignore[no-untyped-def]
        """The exact breakdown POST /orders would charge for the same input, with the
        best usable coupon applied when none is chosen and `suggest_coupon` is not false
        (nothing is stored or held)."""
        settings = current_settings()
        authorization = request.headers.get("Authorization")
        return pricing.preview_checkout(
            current_db(), _requested(body["lines"]),
            pricing.CheckoutChoice(body["delivery_method"], body["coupon_id"],
                                   body["coupon_code"], body["points"]),
            PricingClient.for_caller(settings, authorization).quote,
            read_cart=CartAndUserClient.for_caller(settings, authorization).cart_lines,
            suggest_coupon=body["suggest_coupon"])


@blp.route("")
class Orders(MethodView):
    @blp.arguments(PlaceOrderSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(200, schema=OrderSchema, description="Replay of an Idempotency-Key")
    @idempotent(blp)
    def post(self, body):  # type: ignore[no-untyped-def]
        settings = current_settings()
        authorization = request.headers.get("Authorization")
        # Read from only when the order is really created.
        cart_and_user = CartAndUserClient.for_caller(settings, authorization)
        order, created = checkout.place_order(
            current_db(),
            current_user_id(),
            _requested(body["lines"]),
            body["delivery_method"],
            body["address_id"],
            idempotency_key(),
            read_address=cart_and_user.shipping_address,
            payment_timeout_s=settings.payment_timeout_s,
            quote=PricingClient.for_caller(settings, authorization).quote,
            coupon_code=body["coupon_code"],
            coupon_id=body["coupon_id"],
            points=body["points"],
            read_cart=cart_and_user.cart_lines,
        )
        return (order, 201) if created else (order, 200)

    @blp.arguments(OrderListQuerySchema, location="query")
    @blp.response(200, OrderPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        status = query["status"]
        return buyer_orders.list_orders(current_db(), current_user_id(), query["limit"],
                                        query["cursor"], OrderStatus(status) if status else None)


@blp.route("/<string:order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderSchema)
    def get(self, order_id):  # type: ignore[no-untyped-def]
        return buyer_orders.get_order(current_db(), current_user_id(), order_id)


@blp.route("/<string:order_id>/cancel")
class CancelOrder(MethodView):
    @blp.arguments(CancelOrderSchema, required=False)
    @blp.response(200, OrderSchema)
    def post(self, body, order_id):  # type: ignore[no-untyped-def]
        """Cancel until shipped (a paid order is refunded); 409 once shipped or cancelled."""
        return buyer_orders.cancel_order(current_db(), current_user_id(), order_id,
                                         (body or {}).get("reason"))


@blp.route("/<string:order_id>/confirm-receipt")
class ConfirmReceipt(MethodView):
    @blp.response(200, OrderSchema)
    def post(self, order_id):  # type: ignore[no-untyped-def]
        """The buyer has the goods: the order completes."""
        return buyer_orders.confirm_receipt(current_db(), current_user_id(), order_id)
