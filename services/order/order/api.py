"""HTTP routes of the order service: parse, call one use case, serialize."""

from flask.views import MethodView
from flask_smorest import Blueprint

from order import service
from order.domain import RequestedLine
from order.schemas import OrderListQuerySchema, OrderPageSchema, OrderSchema, PlaceOrderSchema
from service_runtime.app import current_db
from service_runtime.http import current_user_id, idempotency_key

blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders", description="Orders")


@blp.route("")
class Orders(MethodView):
    @blp.arguments(PlaceOrderSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(200, schema=OrderSchema, description="Replay of an Idempotency-Key")
    def post(self, body):  # type: ignore[no-untyped-def]
        order, created = service.place_order(
            current_db(),
            current_user_id(),
            [RequestedLine(line["sku"], line["quantity"]) for line in body["lines"]],
            body["delivery_method"],
            body["address_id"],
            idempotency_key(),
        )
        return (order, 201) if created else (order, 200)

    @blp.arguments(OrderListQuerySchema, location="query")
    @blp.response(200, OrderPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        limit = query["limit"]
        orders = service.list_orders(current_db(), current_user_id(), limit + 1, query["cursor"])
        more = len(orders) > limit
        return {"items": orders[:limit], "next_cursor": orders[limit - 1].id if more else None}


@blp.route("/<string:order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderSchema)
    def get(self, order_id):  # type: ignore[no-untyped-def]
        return service.get_order(current_db(), current_user_id(), order_id)
