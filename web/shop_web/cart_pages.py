"""The cart: a guest's (the API's cart token kept in the session) or a shopper's.

Adding, changing and removing lines are plain form posts (a product page posts to
``/cart/items``); the API decides what is allowed (stock, per-line limit) and its refusal is
shown where the shopper acted, with nothing in the cart lost.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.accounts import safe_next
from shop_web.i18n import t, texts
from shop_web.tracking import EventType, record

pages = Blueprint("cart", __name__)

# The price each SKU had when the shopper put it in the cart (SKU -> minor units), so that
# the cart can say "the price changed since": the API reports only today's price. Kept
# small because it rides in the session cookie.
SEEN_PRICES = "cart_seen_prices"
MAX_SEEN = 20
MAX_QUANTITY = 99  # the cart API's limit per line, said in its words when it refuses more
INVALID = "urn:shop:problem:validation-error"

texts({
    "cart.title": ("购物车", "Cart"),
    "cart.empty": ("购物车是空的", "Your cart is empty"),
    "cart.go_shopping": ("去逛逛", "Start shopping"),
    "cart.added": ("已加入购物车", "Added to the cart"),
    "cart.updated": ("数量已更新", "Quantity updated"),
    "cart.removed": ("已从购物车删除", "Removed from the cart"),
    "cart.sku": ("商品编号", "SKU"),
    "cart.unit_price": ("单价", "Unit price"),
    "cart.quantity": ("数量", "Quantity"),
    "cart.quantity_of": ("{name} 的数量", "Quantity of {name}"),
    "cart.subtotal": ("小计", "Subtotal"),
    "cart.update": ("更新", "Update"),
    "cart.remove": ("删除", "Remove"),
    "cart.remove_of": ("删除 {name}", "Remove {name}"),
    "cart.summary": ("结算信息", "Summary"),
    "cart.items": ("共 {count} 件商品", "{count} items"),
    "cart.goods_total": ("商品金额", "Items"),
    "cart.shipping": ("运费（预估）", "Shipping (estimate)"),
    "cart.shipping_free": ("免运费", "Free"),
    "cart.free_from": ("满 ¥99 免运费", "Free shipping from ¥99"),
    "cart.total": ("合计", "Total"),
    "cart.checkout": ("去结算", "Checkout"),
    "cart.promotions": ("可用优惠", "Promotions for this cart"),
    "cart.out_of_stock": ("库存不足", "Not enough in stock"),
    "cart.only_left": ("仅剩 {count} 件", "Only {count} left"),
    "cart.sold_out": ("已售罄", "Sold out"),
    "cart.fix_stock": ("请减少数量或删除该商品后再结算",
                       "Lower the quantity or remove it before checking out"),
    "cart.price_down": ("比加入时降价 {amount}", "{amount} cheaper than when added"),
    "cart.price_up": ("比加入时涨价 {amount}", "{amount} dearer than when added"),
    "cart.guest_note": ("登录后，购物车中的商品会合并到您的账号。",
                        "Sign in and this cart joins your account's."),
    "cart.problem.insufficient-stock": ("库存不足：{sku} 仅剩 {available} 件",
                                        "Not enough in stock: {available} of {sku} left"),
    "cart.problem.unknown-sku": ("该商品暂不可售", "This item is not for sale"),
    "cart.problem.quantity-limit": ("同一商品最多购买 {max_quantity} 件",
                                    "At most {max_quantity} of one item"),
    "cart.problem.too-many-lines": ("购物车商品种类已达上限", "The cart is full"),
    "cart.quantity_range": ("数量须在 1 到 {max_quantity} 之间",
                            "The quantity must be 1 to {max_quantity}"),
    "cart.problem.not-found": ("购物车中没有该商品", "That item is not in the cart"),
    "cart.problem.validation-error": ("数量或商品编号无效", "Invalid item or quantity"),
})


def problem_message(problem: api.ApiProblem) -> str:
    """The shopper's words for a refusal of the cart API (the API's own words otherwise)."""
    if problem.message_for("quantity"):
        return t("cart.quantity_range", max_quantity=MAX_QUANTITY)
    key = f"cart.problem.{problem.slug}"
    values = {"sku": problem.body.get("sku", ""), "available": problem.body.get("available", 0),
              "max_quantity": problem.body.get("max_quantity", MAX_QUANTITY)}
    words = t(key, **values)
    return words if words != key else str(problem)


def _quantity() -> int | None:
    try:
        return int(request.form.get("quantity", "1"))
    except ValueError:
        return None


@pages.get("/cart")
def view() -> str:
    return _render(api.get("/cart"))


@pages.post("/cart/items")
def add() -> Response:
    sku = request.form.get("sku", "").strip()
    back = safe_next("/cart")
    quantity = _quantity()
    try:
        if quantity is None:
            raise api.ApiProblem(422, "Invalid quantity", type=INVALID,
                                 fields={"quantity": ["not a whole number"]})
        cart = api.post("/cart/items", {"sku": sku, "quantity": quantity})
    except api.ApiProblem as problem:
        flash(problem_message(problem), "error")
        return redirect(back)
    _remember_prices(cart)
    record(EventType.ADD_TO_CART, product_id=_product_of(cart, sku),
           props={"sku": sku, "quantity": quantity})
    flash(t("cart.added"))
    return redirect(back)


@pages.post("/cart/items/<sku>/quantity")
def change(sku: str) -> Response | tuple[str, int]:
    quantity = _quantity()
    try:
        if quantity is None or quantity < 1:
            raise api.ApiProblem(422, "Invalid quantity", type=INVALID,
                                 fields={"quantity": ["not a whole number"]})
        api.patch(f"/cart/items/{sku}", {"quantity": quantity})
    except api.ApiProblem as problem:
        return _render(api.get("/cart"), problem=problem, problem_sku=sku), problem.status
    flash(t("cart.updated"))
    return redirect(url_for("cart.view"))


@pages.post("/cart/items/<sku>/remove")
def remove(sku: str) -> Response | tuple[str, int]:
    try:
        api.delete(f"/cart/items/{sku}")
    except api.ApiProblem as problem:
        return _render(api.get("/cart"), problem=problem, problem_sku=sku), problem.status
    record(EventType.REMOVE_FROM_CART, props={"sku": sku})
    seen = session.get(SEEN_PRICES) or {}
    if sku in seen:
        session[SEEN_PRICES] = {k: v for k, v in seen.items() if k != sku}
    flash(t("cart.removed"))
    return redirect(url_for("cart.view"))


def _product_of(cart: dict | None, sku: str) -> int | None:
    """The product of a SKU in the cart's answer (the form names the SKU only)."""
    line = next((x for x in (cart or {}).get("lines") or [] if x.get("sku") == sku), {})
    return line.get("product_id")


def _render(cart: dict, problem: api.ApiProblem | None = None, problem_sku: str = "") -> str:
    seen = session.get(SEEN_PRICES) or {}
    changes = {}
    for line in cart.get("lines", []):
        was = seen.get(line["sku"])
        if was is not None and was != line["unit_price"]["amount"]:
            changes[line["sku"]] = {"amount": abs(line["unit_price"]["amount"] - was),
                                    "currency": line["unit_price"]["currency"],
                                    "down": line["unit_price"]["amount"] < was}
    return render_template("cart/cart.html", cart=cart, price_changes=changes,
                           problem=problem, problem_sku=problem_sku,
                           problem_text=problem_message(problem) if problem else "",
                           can_checkout=all(line.get("in_stock", True)
                                            for line in cart.get("lines", [])))


def _remember_prices(cart: dict) -> None:
    """Note today's price of lines not yet noted (a line's first price is what it was
    added at); the oldest notes go first when there are too many."""
    seen = dict(session.get(SEEN_PRICES) or {})
    for line in cart.get("lines", []):
        seen.setdefault(line["sku"], line["unit_price"]["amount"])
    in_cart = {line["sku"] for line in cart.get("lines", [])}
    kept = [(sku, amount) for sku, amount in seen.items() if sku in in_cart]
    session[SEEN_PRICES] = dict(kept[-MAX_SEEN:])
