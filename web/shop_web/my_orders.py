"""My orders: the shopper's orders after checkout, one order's lines, status timeline and
parcel tracking, and what the shopper may do with it in its status (pay, cancel, confirm
receipt, review a product, ask for after-sales).

Every action is a plain form post (works without JavaScript) answered by a redirect; an
answer of the API that refuses it re-renders the page with a readable message and with
what the shopper typed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.i18n import t
from shop_web.order_texts import ORDER_STATUS_FILTERS

pages = Blueprint("my_orders", __name__)

PAGE_SIZE = 10
CANCELLABLE = {"pending", "awaiting_payment", "paid"}
RECEIVABLE = {"shipped", "delivered"}
REVIEWABLE = {"delivered", "completed", "partially_refunded"}
# A paid order may still be refunded in full before it ships; afterwards within the window.
AFTERSALES = {"paid", "delivered", "completed", "partially_refunded"}
# Enough of a product's newest reviews to find this order's (reviews arrive after delivery).
REVIEWS_LOOKED_AT = 100


def readable(problem: api.ApiProblem) -> str:
    """The API's refusal in the shopper's words: a known problem has a text of its own,
    any other shows the API's detail (or title)."""
    # Problem types are ``urn:shop:problem:<slug>``; ApiProblem.slug splits at "/" only.
    key = f"orders.problem.{problem.slug.rsplit(':', 1)[-1]}"
    text = t(key)
    return text if text != key else (problem.detail or problem.title)


def payable(order: dict[str, Any]) -> bool:
    """Awaiting a payment the shopper makes now (cash on delivery is paid at the door)."""
    return order["status"] == "awaiting_payment" and not (order.get("payment") or {}).get(
        "cash_on_delivery")


def describe_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order's lines with what the catalog calls them (name, brand, colour / size).

    A product the catalog no longer has keeps its line, named by its SKU."""
    products: dict[int, dict[str, Any] | None] = {}
    described = []
    for line in lines:
        product_id = line.get("product_id")
        if product_id is not None and product_id not in products:
            products[product_id] = _product(product_id)
        product = products.get(product_id) if product_id is not None else None
        sku = next((s for s in (product or {}).get("skus", []) if s["sku"] == line["sku"]), {})
        described.append({
            **line,
            "name": (product or {}).get("name") or line["sku"],
            "brand": (product or {}).get("brand") or "",
            "image": ((product or {}).get("images") or [None])[0],
            "variant": " / ".join((sku.get("attributes") or {}).values()),
        })
    return described


def _product(product_id: int) -> dict[str, Any] | None:
    try:
        return api.get(f"/products/{product_id}")
    except api.ApiProblem as problem:
        if problem.status == 404:
            return None
        raise


@pages.get("/orders")
def order_list() -> str:
    status = request.args.get("status") or None
    if status not in ORDER_STATUS_FILTERS:
        status = None
    found = api.get("/orders", limit=PAGE_SIZE, cursor=request.args.get("cursor"),
                    status=status)
    orders = [{**order, "lines": describe_lines(order["lines"]), "payable": payable(order)}
              for order in found["items"]]
    return render_template("my_orders/list.html", orders=orders, status=status,
                           filters=ORDER_STATUS_FILTERS, next_cursor=found.get("next_cursor"),
                           first_page=not request.args.get("cursor"))


@pages.get("/orders/<order_id>")
def order_detail(order_id: str) -> str:
    return _detail_page(order_id)[0]


def _detail_page(order_id: str, problem: api.ApiProblem | None = None,
                 review: dict[str, Any] | None = None) -> tuple[str, int]:
    """The order's page; with a refused action's ``problem`` (and the review form as typed),
    answered with the problem's status code."""
    order = api.get(f"/orders/{order_id}")
    lines = describe_lines(order["lines"])
    can_review = order["status"] in REVIEWABLE
    page = render_template(
        "my_orders/detail.html", order=order, lines=lines, shipments=_shipments(order_id),
        review_targets=_review_targets(order, lines) if can_review else [],
        can_pay=payable(order), can_cancel=order["status"] in CANCELLABLE,
        can_receive=order["status"] in RECEIVABLE, can_review=can_review,
        can_return=order["status"] in AFTERSALES, problem=problem,
        message=readable(problem) if problem else None, review=review or {})
    return page, problem.status if problem else 200


def _shipments(order_id: str) -> list[dict[str, Any]]:
    """The order's parcels; logistics knows an order only once it is paid (404 before)."""
    try:
        return api.get(f"/orders/{order_id}/tracking")["shipments"]
    except api.ApiProblem as problem:
        if problem.status == 404:
            return []
        raise


def _review_targets(order: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each product of the order once (several SKUs may share one), and whether its buyer
    has reviewed it already (a product is reviewed once per order)."""
    targets: dict[int, dict[str, Any]] = {}
    for line in lines:
        if line.get("product_id") and line["product_id"] not in targets:
            reviews = api.get(f"/products/{line['product_id']}/reviews", limit=REVIEWS_LOOKED_AT)
            targets[line["product_id"]] = {
                "product_id": line["product_id"], "name": line["name"],
                "reviewed": any(r.get("order_id") == order["id"] for r in reviews["items"])}
    return list(targets.values())


@pages.get("/orders/<order_id>/cancel")
def cancel_confirm(order_id: str) -> str:
    order = api.get(f"/orders/{order_id}")
    return render_template("my_orders/cancel.html", order=order, reason="", message=None)


@pages.post("/orders/<order_id>/cancel")
def cancel(order_id: str) -> Response | tuple[str, int]:
    reason = request.form.get("reason", "").strip()
    try:
        api.post(f"/orders/{order_id}/cancel", {"reason": reason} if reason else {})
    except api.ApiProblem as problem:
        order = api.get(f"/orders/{order_id}")
        return render_template("my_orders/cancel.html", order=order, reason=reason,
                               message=readable(problem), problem=problem), problem.status
    flash(t("orders.cancelled"))
    return redirect(f"/orders/{order_id}")


@pages.post("/orders/<order_id>/confirm-receipt")
def confirm_receipt(order_id: str) -> Response | tuple[str, int]:
    try:
        api.post(f"/orders/{order_id}/confirm-receipt")
    except api.ApiProblem as problem:
        return _detail_page(order_id, problem)
    flash(t("orders.received"))
    return redirect(f"/orders/{order_id}")


@pages.post("/orders/<order_id>/reviews")
def review(order_id: str) -> Response | tuple[str, int]:
    typed = {"product_id": request.form.get("product_id", ""),
             "rating": request.form.get("rating", ""),
             "text": request.form.get("text", "").strip()}
    try:
        api.post("/reviews", {"order_id": order_id, "product_id": integer(typed["product_id"]),
                              "rating": integer(typed["rating"]), "text": typed["text"]})
    except api.ApiProblem as problem:
        return _detail_page(order_id, problem, typed)
    flash(t("orders.reviewed"))
    return redirect(f"/orders/{order_id}#reviews")


def integer(value: str) -> int | str:
    """A form's number as the API wants it; anything else goes as typed (the API names it)."""
    try:
        return int(value)
    except ValueError:
        return value
