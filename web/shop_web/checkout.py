"""Checkout and payment: the order form, paying (wallet, providers' cashiers, cash on
delivery), the result page, and the wallet with its top-ups.

Each form carries an Idempotency-Key made when the page was rendered, so pressing the
button twice (or reloading the answer) places one order and starts one payment. A
provider's payment leaves the shop for the provider's cashier (``next_action.url``); the
session remembers it, so the pages the shopper comes back to point at its result.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from shop_web import (
    checkout_texts,  # noqa: F401  (registers the texts)
    paying,
)
from shop_web import gateway_client as api
from shop_web.checkout_pricing import OfferChoice, coupon_choices, is_offer_problem, price
from shop_web.i18n import t
from shop_web.tracking import EventName, EventType, record

pages = Blueprint("checkout", __name__)

TOP_UP = "top_up_payment"
PAY_PROBLEM = "pay_problem"
CART_PROBLEMS = {"empty-cart", "insufficient-stock", "unknown-sku", "quantity-limit"}
Page = str | tuple[str, int] | Response


def _signed_in() -> None:
    if api.current_shopper() is None:
        raise api.SignInRequired()


def _balance() -> dict | None:
    try:
        return api.get("/wallet", limit=1)["balance"]
    except api.ApiProblem:
        return None  # the page works without it; paying from the wallet says if it is short


# -- checkout ----------------------------------------------------------------------------

@pages.get("/checkout")
def checkout() -> str:
    _signed_in()
    return _checkout_page({}, api.new_idempotency_key(), None, OfferChoice())


@pages.post("/checkout/preview")
def preview() -> str:
    """The breakdown for the form as it is now: the summary alone for htmx (with the
    coupon and points messages swapped in beside their fields), else the whole page (the
    "recalculate" button works without JavaScript)."""
    _signed_in()
    chosen = _chosen()
    choice = OfferChoice.read(request.form)
    key = request.form.get("idempotency_key") or api.new_idempotency_key()
    if request.headers.get("HX-Request"):
        priced = price(chosen["delivery_method"], choice, chosen["address_id"])
        return render_template("checkout/_pricing.html", priced=priced, cart=api.get("/cart"),
                               oob=True)
    return _checkout_page(chosen, key, None, choice)


def _chosen() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in
            ("address_id", "delivery_method", "payment_method")}


@pages.post("/checkout")
def place_order() -> Page:
    _signed_in()
    chosen = _chosen()
    choice = OfferChoice.read(request.form)
    key = request.form.get("idempotency_key") or api.new_idempotency_key()
    try:
        _check_stock(api.get("/cart"))
        if choice.points_number is None:
            raise api.ApiProblem(422, t("checkout.points_invalid"),
                                 fields={"points": [t("checkout.points_invalid")]})
        order = paying.place_order(chosen["address_id"], chosen["delivery_method"], key,
                                   choice.order_fields())
    except api.ApiProblem as problem:
        return _checkout_page(chosen, key, problem, choice), problem.status
    record(EventType.CLICK, name=EventName.PLACE_ORDER, props={"order_id": order["id"]})
    order = paying.wait_until_payable(order)
    method = chosen["payment_method"] or "balance"
    if order["status"] != "awaiting_payment":  # still reserving, or cancelled for stock
        return redirect(url_for(".pay", order_id=order["id"], method=method), 303)
    return _pay(order["id"], method, f"{key}:{method}")


def _check_stock(cart: dict[str, Any]) -> None:
    """Refuse before ordering what the cart already knows is short (the order would be
    placed and then cancelled for want of stock)."""
    short = {line["sku"]: line for line in cart.get("lines") or []
             if not line.get("in_stock", True)}
    if short:
        raise api.ApiProblem(409, t("checkout.short_of_stock"),
                             type="urn:shop:problem:insufficient-stock",
                             fields={f"lines.{sku}": [t("checkout.short_of_stock_line",
                                                        count=line.get("available", 0))]
                                     for sku, line in short.items()})


def _checkout_page(chosen: dict[str, str], key: str, problem: api.ApiProblem | None,
                   choice: OfferChoice) -> str:
    cart = api.get("/cart")
    addresses = api.get("/users/me/addresses") or []
    if not chosen.get("address_id"):
        chosen["address_id"] = next((a["id"] for a in addresses if a.get("is_default")),
                                    addresses[0]["id"] if addresses else "")
    chosen.setdefault("delivery_method", "standard")
    chosen["delivery_method"] = chosen["delivery_method"] or "standard"
    chosen["payment_method"] = chosen.get("payment_method") or "balance"
    offers_refused = is_offer_problem(problem)
    priced = price(chosen["delivery_method"], choice, chosen["address_id"],
                   problem if offers_refused else None)
    return render_template("checkout/checkout.html", cart=cart, addresses=addresses,
                           chosen=chosen, key=key, problem=problem,
                           problem_at="offers" if offers_refused else _problem_place(problem),
                           priced=priced, coupons=coupon_choices(priced.quote),
                           balance=_balance(),
                           delivery_methods=paying.DELIVERY_METHODS,
                           methods=paying.PAYMENT_METHODS,
                           in_flight=paying.in_flight_order())


def _problem_place(problem: api.ApiProblem | None) -> str | None:
    """Which part of the form the problem is about, to show it there."""
    if problem is None:
        return None
    # The API's types are URNs (urn:shop:problem:empty-cart): ApiProblem.slug splits at "/".
    kind = problem.type.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if kind in CART_PROBLEMS or problem.message_for("lines") or problem.message_for(
            "sku"):
        return "cart"
    if kind == "unknown-address" or problem.message_for("address_id"):
        return "address"
    if problem.message_for("delivery_method"):
        return "delivery"
    return None


# -- paying an order -----------------------------------------------------------------------

def _pay(order_id: str, method: str, key: str) -> Response:
    """Start the payment; a provider's continues at its cashier, the others end at the
    result page. A refusal (e.g. the wallet is short) goes back to choosing a method."""
    try:
        started = paying.start_payment(order_id, method, key)
    except api.ApiProblem as problem:
        # An error the shopper met (the page explains it): what stopped them paying.
        record(EventType.ERROR, name=EventName.PAYMENT_REFUSED,
               props={"order_id": order_id, "method": method, "problem": problem.slug[:200]})
        session[PAY_PROBLEM] = {"order_id": order_id, "method": method,
                                "title": problem.title, "detail": problem.detail}
        return redirect(url_for(".pay", order_id=order_id, method=method), 303)
    return redirect(started.cashier_url or url_for(".result", order_id=order_id), 303)


@pages.get("/orders/<order_id>/pay")
def pay(order_id: str) -> Page:
    where = paying.outcome(order_id)
    if where.state in ("paid", "cod", "cancelled"):
        return redirect(url_for(".result", order_id=order_id))
    problem = session.get(PAY_PROBLEM)
    if problem and problem.get("order_id") == order_id:
        session.pop(PAY_PROBLEM)
    else:
        problem = None
    method = request.args.get("method")
    if method not in paying.PAYMENT_METHODS:
        method = "balance"
    # A campaign's order (拼团, 秒杀) is paid online: the API refuses cash on delivery.
    methods = tuple(m for m in paying.PAYMENT_METHODS
                    if m != "cod" or not where.order.get("campaign"))
    record(EventType.PAGE_VIEW, name=EventName.PAYMENT_PAGE, props={"order_id": order_id})
    return render_template("checkout/pay.html", where=where, method=method, problem=problem,
                           key=api.new_idempotency_key(), balance=_balance(),
                           methods=methods)


@pages.post("/orders/<order_id>/pay")
def pay_submit(order_id: str) -> Response:
    method = request.form.get("payment_method", "")
    key = request.form.get("idempotency_key") or api.new_idempotency_key()
    record(EventType.CLICK, name=EventName.PAY, props={"order_id": order_id, "method": method})
    return _pay(order_id, method, key)


@pages.get("/orders/<order_id>/result")
def result(order_id: str) -> str:
    where = paying.outcome(order_id)
    if where.final:
        paying.settled(order_id)
    return render_template("checkout/result.html", where=where)


# -- the wallet --------------------------------------------------------------------------

@pages.get("/account/wallet")
def wallet() -> str:
    _signed_in()
    return _wallet_page({"package": "cny100", "amount": "", "method": "alipay"},
                        api.new_idempotency_key(), None)


@pages.post("/account/wallet/top-ups")
def top_up() -> Page:
    _signed_in()
    chosen = {name: request.form.get(name, "").strip() for name in ("package", "amount",
                                                                    "method")}
    key = request.form.get("idempotency_key") or api.new_idempotency_key()
    try:
        payment = api.post("/wallet/top-ups", _top_up_body(chosen), idempotency_key=key)
    except api.ApiProblem as problem:
        return _wallet_page(chosen, key, problem), problem.status
    session[TOP_UP] = payment["id"]
    url = (payment.get("next_action") or {}).get("url")
    return redirect(url or url_for(".wallet"), 303)


def _top_up_body(chosen: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"method": chosen["method"], "return_url": "/account/wallet"}
    if chosen["package"] != "custom":
        return {**body, "package_id": chosen["package"]}
    try:
        fen = int(Decimal(chosen["amount"]) * 100)
    except (InvalidOperation, ValueError):
        raise api.ApiProblem(422, t("wallet.bad_amount"),
                             fields={"amount": [t("wallet.bad_amount")]}) from None
    return {**body, "amount": fen}


def _wallet_page(chosen: dict[str, str], key: str, problem: api.ApiProblem | None) -> str:
    wallet_view = api.get("/wallet", limit=20)
    packages = api.get("/wallet/top-up-packages")
    top_up_payment = None
    if session.get(TOP_UP):
        try:
            top_up_payment = api.get(f"/payments/{session[TOP_UP]}")
        except api.ApiProblem:
            session.pop(TOP_UP, None)
        if top_up_payment and top_up_payment["status"] != "pending":
            session.pop(TOP_UP, None)  # shown once, then gone
    return render_template("checkout/wallet.html", wallet=wallet_view, packages=packages,
                           chosen=chosen, key=key, problem=problem, top_up=top_up_payment,
                           providers=paying.PROVIDERS)
