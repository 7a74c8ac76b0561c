"""HTTP routes of the order service: parse, call one use case, serialize."""

from flask import request
from flask.views import MethodView

from order import buyer_orders, checkout
from order.cart_and_user_client import CartAndUserClient
from order.domain import OrderStatus, RequestedLine
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


@blp.route("")
class Orders(MethodView):
    @blp.arguments(PlaceOrderSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(200, schema=OrderSchema, description="Replay of an Idempotency-Key")
    @idempotent(blp)
    def post(self, body):  # type: ignore[no-untyped-def]
        settings = current_settings()
        lines = body["lines"]
        # Read from only when the order is really created.
        cart_and_user = CartAndUserClient.for_caller(settings,
                                                     request.headers.get("Authorization"))
        order, created = checkout.place_order(
            current_db(),
            current_user_id(),
            None if lines is None else [RequestedLine(li["sku"], li["quantity"]) for li in lines],
            body["delivery_method"],
            body["address_id"],
            idempotency_key(),
            read_address=cart_and_user.shipping_address,
            payment_timeout_s=settings.payment_timeout_s,
            coupon_code=body["coupon_code"],
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
