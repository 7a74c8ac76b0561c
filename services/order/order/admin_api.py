"""The merchant's routes of the order service (admin role): every order, searchable."""

from flask.views import MethodView

from order import admin_orders
from order.domain import OrderStatus
from order.schemas import AdminOrderQuerySchema, OrderPageSchema, OrderSchema
from service_runtime.app import current_db
from service_runtime.auth import ADMIN
from service_runtime.openapi import SecuredBlueprint

admin = SecuredBlueprint("orders-admin", __name__, url_prefix="/api/v1/admin/orders",
                         role=ADMIN, description="Every order, for the merchant (admin role)")


@admin.route("")
class AdminOrders(MethodView):
    @admin.arguments(AdminOrderQuerySchema, location="query")
    @admin.response(200, OrderPageSchema)
    def get(self, query):  # type: ignore[no-untyped-def]
        """Orders newest first; filter by status, buyer or an order id prefix."""
        status = query["status"]
        return admin_orders.find_orders(
            current_db(), query["limit"], query["cursor"],
            status=OrderStatus(status) if status else None,
            user_id=query["user_id"], order_id=query["order_id"])


@admin.route("/<string(maxlength=64):order_id>")
class AdminOrderById(MethodView):
    @admin.response(200, OrderSchema)
    def get(self, order_id):  # type: ignore[no-untyped-def]
        """One order with its lines, address, payment facts and timeline."""
        return admin_orders.any_order(current_db(), order_id)
