"""Flash sales (秒杀) in the storefront: the sessions (countdowns to their start and end on
the server's clock, each item's flash price, what is left, the per-person limit, a
立即抢购 button) and the attempt's page.

Pressing 立即抢购 asks the gate (``POST /flash-sales/{sid}/items/{sku}/attempts``): a
loser is told at once on the sessions page (sold out, limit reached, not started, over);
a winner goes to the attempt's page, which polls the attempt (htmx every second; without
JavaScript the page refreshes itself) until its order exists, then sends the buyer to
pay it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.campaigns import (
    DELIVERY_METHODS,
    addresses,
    countdown,
    default_address,
    products_of,
    refusal_words,
    sku_price,
)

pages = Blueprint("flash_sales", __name__)
Page = str | tuple[str, int] | Response


def progress(item: dict[str, Any]) -> dict[str, int]:
    """An item's bar: units left, units in all, percent gone (0-100)."""
    total = max(0, int(item.get("quantity") or 0))
    left = max(0, min(total, int(item.get("remaining") or 0)))
    gone = 100 - (left * 100 // total) if total else 100
    return {"left": left, "total": total, "percent": gone}


@pages.get("/flash-sales")
def sessions() -> str:
    return _sessions_page()


def _sessions_page(refused: tuple[str, str, str] | None = None) -> str:
    """``refused``: (session id, SKU, words) of an attempt the gate turned down."""
    listed = api.get("/flash-sales")
    found = listed.get("items") or []
    products = products_of({item.get("product_id") for s in found for item in s["items"]})
    book = addresses()
    chosen = {"address_id": request.form.get("address_id") or default_address(book),
              "delivery_method": request.form.get("delivery_method") or "standard"}
    return render_template("campaigns/flash_sales.html", sessions=found,
                           server_time=listed.get("server_time"), products=products,
                           list_price=lambda item: sku_price(
                               products.get(item.get("product_id")), item["sku"]),
                           progress=progress, countdown=countdown, refused=refused,
                           addresses=book, chosen=chosen, delivery_methods=DELIVERY_METHODS,
                           new_key=api.new_idempotency_key)


@pages.post("/flash-sales/<string:session_id>/items/<string:sku>/attempts")
def attempt(session_id: str, sku: str) -> Page:
    if api.current_shopper() is None:
        return redirect(url_for("accounts.sign_in", next=url_for(".sessions")))
    body = {"quantity": _quantity(request.form.get(f"quantity.{sku}")),
            "address_id": request.form.get("address_id", ""),
            "delivery_method": request.form.get("delivery_method") or "standard"}
    try:
        accepted = api.post(f"/flash-sales/{session_id}/items/{sku}/attempts", body,
                            idempotency_key=request.form.get("idempotency_key") or None)
    except api.SignInRequired:
        return redirect(url_for("accounts.sign_in", next=url_for(".sessions")))
    except api.ApiProblem as problem:
        if problem.status >= 500:
            raise
        words = refusal_words(problem, "flash")
        return _sessions_page((session_id, sku, words)), problem.status
    return redirect(url_for(".attempt_page", attempt_id=accepted["attempt_id"]), 303)


def _quantity(text: str | None) -> int:
    """The units asked for (one when not chosen; the gate checks the limit)."""
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


@pages.get("/flash-sales/attempts/<string:attempt_id>")
def attempt_page(attempt_id: str) -> Page:
    if api.current_shopper() is None:
        raise api.SignInRequired()
    found = api.get(f"/flash-sales/attempts/{attempt_id}")
    if found.get("status") == "ordered" and found.get("order_id"):
        pay = url_for("checkout.pay", order_id=found["order_id"])
        if request.headers.get("HX-Request"):
            # htmx follows this header with a full page load (a 303 would be swapped in).
            response = make_response("", 200)
            response.headers["HX-Redirect"] = pay
            return response
        return redirect(pay, 303)
    return render_template("campaigns/attempt.html", attempt=found)
