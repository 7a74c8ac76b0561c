"""Orders and shipments in the console.

The API has no admin listing of orders (``GET /orders`` is the caller's own, and an
admin's ``GET /orders/{id}`` of someone else's order is a 404), so the console shows orders
as logistics knows them: every paid order has a shipment, which names the order, the
customer, the lines, the address and the parcel's timeline (``GET /admin/shipments``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.admin.base import back_to_list, form_problem, list_args, page_of, pages, word
from shop_web.i18n import t, texts

CARRIERS = ("sf", "zto", "yto", "jd", "ems", "store")
SHIPMENT_STATUSES = ("ready", "shipped", "in_transit", "out_for_delivery", "delivered",
                     "cancelled")

texts({
    "admin.orders.search": ("按订单号查找", "Find by order number"),
    "admin.orders.note": ("订单来自物流发货单：接口不提供管理员的订单列表和订单状态时间线。",
                          "Orders as logistics knows them: the API offers the admin no order "
                          "list and no order status timeline."),
    "admin.orders.shipment": ("发货单", "Shipment"),
    "admin.orders.address": ("收货地址", "Address"),
    "admin.orders.none": ("没有此订单的发货单（未支付或不存在）",
                          "No shipment for this order (unpaid, or no such order)"),
    "admin.orders.return_parcel": ("换货包裹", "Replacement parcel"),
    "admin.orders.delivery": ("配送方式", "Delivery"),
    "admin.orders.cod": ("货到付款", "Cash on delivery"),
    "admin.orders.eta": ("预计送达", "Estimated delivery"),
    "admin.ship.carrier": ("快递公司", "Carrier"),
    "admin.ship.tracking": ("运单号", "Tracking number"),
    "admin.ship.submit": ("发货", "Ship"),
    "admin.ship.done": ("订单 {order} 已发货：{carrier} {tracking}",
                        "Order {order} shipped: {carrier} {tracking}"),
    "admin.ship.choose": ("选择快递公司", "Choose a carrier"),
})


@pages.get("/orders")
def orders() -> str:
    order_id = request.args.get("order_id", "").strip()
    status = _status(request.args)
    found = page_of("/admin/shipments", order_id=order_id, status=status,
                    cursor=request.args.get("cursor"))
    return render_template("admin/orders.html", page=found, order_id=order_id, status=status,
                           statuses=SHIPMENT_STATUSES)


@pages.get("/orders/<string:order_id>")
def order(order_id: str) -> str:
    shipments = api.get("/admin/shipments", order_id=order_id, limit=50)["items"]
    return render_template("admin/order.html", order_id=order_id, shipments=shipments)


@pages.get("/shipments")
def shipments() -> str:
    return _shipments()


@pages.post("/shipments/<string:shipment_id>/ship")
def ship(shipment_id: str) -> Response | tuple[str, int]:
    typed = {"carrier": request.form.get("carrier", ""),
             "tracking_number": request.form.get("tracking_number", "").strip()}
    try:
        if not typed["carrier"]:
            raise form_problem({"carrier": t("admin.form.required")})
        shipped = api.post(f"/admin/shipments/{shipment_id}/ship", typed)
    except api.ApiProblem as problem:
        return _shipments(refused=(shipment_id, typed, problem)), problem.status
    flash(t("admin.ship.done", order=shipped["order_id"],
            carrier=_carrier_name(shipped.get("carrier")),
            tracking=shipped.get("tracking_number") or ""))
    return back_to_list(url_for("admin.shipments"))


def _shipments(refused: tuple[str, dict[str, str], api.ApiProblem] | None = None) -> str:
    args = list_args()
    order_id = args.get("order_id", "").strip()
    status = _status(args, default="ready")
    found = page_of("/admin/shipments", order_id=order_id, status=status,
                    cursor=args.get("cursor"))
    return render_template("admin/shipments.html", page=found, order_id=order_id,
                           status=status, statuses=SHIPMENT_STATUSES, refused=refused,
                           carriers=[(c, _carrier_name(c)) for c in CARRIERS])


def _status(args: Mapping[str, str], default: str = "") -> str:
    status = args.get("status", default)
    return status if status in SHIPMENT_STATUSES else ""


def _carrier_name(code: Any) -> str:
    return word(code)
