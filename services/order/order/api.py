"""HTTP routes of the order service: parse, call one use case, serialize."""

from functools import partial

from flask import request
from flask.views import MethodView

from order import service
from order.domain import RequestedLine
from order.reads import cart_lines, shipping_address
from order.schemas import (
    CancelOrderSchema,
    OrderListQuerySchema,
    OrderPageSchema,
    OrderSchema,
    PlaceOrderSchema,
)
from service_runtime.app import current_db
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
        user_id = current_user_id()
        lines = body["lines"]
        authorization = request.headers.get("Authorization")
        order, created = service.place_order(
            current_db(),
            user_id,
            None if lines is None else [RequestedLine(li["sku"], li["quantity"]) for li in lines],
            body["delivery_method"],
            body["address_id"],
            idempotency_key(),
            # Only called when the order is really created.
            read_address=partial(shipping_address, authorization),
            coupon_code=body["coupon_code"],
            read_cart=partial(cart_lines, authorization),
        )
        return (order, 201) if created else (order, 200)

    @blp.arguments(OrderListQuerySchema, location="query")
    @blp.response(200, OrderPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        limit = query["limit"]
        orders = service.list_orders(current_db(), current_user_id(), limit + 1, query["cursor"],
                                     query["status"])
        more = len(orders) > limit
        return {"items": orders[:limit], "next_cursor": orders[limit - 1].id if more else None}


@blp.route("/<string:order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderSchema)
    def get(self, order_id):  # type: ignore[no-untyped-def]
        return service.get_order(current_db(), current_user_id(), order_id)


@blp.route("/<string:order_id>/cancel")
class CancelOrder(MethodView):
    @blp.arguments(CancelOrderSchema, required=False)
    @blp.response(200, OrderSchema)
    def post(self, body, order_id):  # type: ignore[no-untyped-def]
        """Cancel until shipped (a paid order is refunded); 409 once shipped or cancelled."""
        return service.cancel_order(current_db(), current_user_id(), order_id,
                                    (body or {}).get("reason"))


@blp.route("/<string:order_id>/confirm-receipt")
class ConfirmReceipt(MethodView):
    @blp.response(200, OrderSchema)
    def post(self, order_id):  # type: ignore[no-untyped-def]
        """The buyer has the goods: the order completes."""
        return service.confirm_receipt(current_db(), current_user_id(), order_id)
