"""Orders and shipments in the console.

Orders come from the order service's merchant view (``GET /admin/orders``: every order,
paid or not, with its status timeline and price breakdown); an order's page adds its
parcels as logistics knows them (``GET /admin/shipments``), where it is shipped.
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
ORDER_STATUSES = ("pending", "awaiting_payment", "paid", "shipped", "delivered", "completed",
                  "cancelled", "refunded", "partially_refunded")
SHIPMENT_STATUSES = ("ready", "shipped", "in_transit", "out_for_delivery", "delivered",
                     "cancelled")

texts({
    "admin.orders.search": ("按订单号查找", "Find by order number"),
    "admin.orders.buyer": ("按用户 ID 查找", "Find by customer id"),
    "admin.orders.total": ("实付", "Paid"),
    "admin.orders.breakdown": ("价格明细", "Price breakdown"),
    "admin.orders.subtotal": ("商品金额", "Goods"),
    "admin.orders.discounts": ("优惠", "Discounts"),
    "admin.orders.shipping": ("运费", "Shipping"),
    "admin.orders.points": ("积分抵扣", "Points"),
    "admin.orders.payment": ("支付", "Payment"),
    "admin.orders.unknown": ("没有此订单", "No such order"),
    "admin.orders.parcels": ("包裹", "Parcels"),
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
    user_id = request.args.get("user_id", "").strip()
    status = request.args.get("status", "")
    status = status if status in ORDER_STATUSES else ""
    found = page_of("/admin/orders", order_id=order_id or None, user_id=user_id or None,
                    status=status or None, cursor=request.args.get("cursor"))
    return render_template("admin/orders.html", page=found, order_id=order_id,
                           user_id=user_id, status=status, statuses=ORDER_STATUSES)


@pages.get("/orders/<string:order_id>")
def order(order_id: str) -> tuple[str, int] | str:
    try:
        found = api.get(f"/admin/orders/{order_id}")
    except api.ApiProblem as problem:
        if problem.status != 404:
            raise
        return render_template("admin/order.html", order_id=order_id, order=None,
                               shipments=[]), 404
    shipments = api.get("/admin/shipments", order_id=order_id, limit=50)["items"]
    return render_template("admin/order.html", order_id=order_id, order=found,
                           shipments=shipments)


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
