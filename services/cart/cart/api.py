"""HTTP routes of the cart service: parse, call one use case, serialize.

The cart is always the verified caller's: a signed-in user's (bearer token) or a
guest's (``X-Cart-Token``); no route takes a cart id.
"""

from flask import current_app, request
from flask.views import MethodView

from cart import items, quoting
from cart.carts import Caller
from cart.domain import CART_TOKEN_PATTERN, SKU_PATTERN, check_cart_token, valid_sku
from cart.marketing_client import MarketingClient
from cart.schemas import AddItemSchema, CartSchema, PricedCartSchema, QuantitySchema
from service_runtime.app import current_db
from service_runtime.auth import bearer_token, current_user_id
from service_runtime.blueprint import Blueprint
from service_runtime.errors import InvalidInput
from service_runtime.openapi import token_optional

CART_TOKEN_HEADER = "X-Cart-Token"

blp = Blueprint("cart", __name__, url_prefix="/api/v1/cart", description="The shopping cart")
CART_TOKEN_PARAMETER = {
    "in": "header", "name": CART_TOKEN_HEADER, "required": False,
    "description": "A guest cart's token (as a POST to /items issued it)",
    "schema": {"type": "string", "pattern": CART_TOKEN_PATTERN}}


def caller() -> Caller:
    """A valid bearer token makes a user (an invalid one is a 401); a cart token a guest."""
    raw = request.headers.get(CART_TOKEN_HEADER)
    token = check_cart_token(raw) if raw is not None else None
    user_id = current_user_id() if bearer_token() is not None else None
    return Caller(user_id=user_id, token=token)


def marketing() -> MarketingClient:
    return current_app.extensions["marketing"]


def sku_of(sku: str) -> str:
    if not valid_sku(sku):
        raise InvalidInput("not a SKU code", sku=sku[:64])
    return sku


@blp.route("", parameters=[CART_TOKEN_PARAMETER])
class CartView(MethodView):
    @token_optional
    @blp.response(200, PricedCartSchema)
    def get(self):  # type: ignore[no-untyped-def]
        return quoting.shown_cart(current_db(), marketing(), caller(),
                                  request.headers.get("Authorization"))


@blp.route("/items", parameters=[CART_TOKEN_PARAMETER])
class CartItems(MethodView):
    @token_optional
    @blp.arguments(AddItemSchema)
    @blp.response(200, CartSchema, headers={
        CART_TOKEN_HEADER: {"description": "A new guest cart's token", "schema": {"type": "string"}}
    })
    def post(self, body):  # type: ignore[no-untyped-def]
        cart, issued = items.add_item(current_db(), caller(), body["sku"], body["quantity"])
        if issued is not None:
            return cart, 200, {CART_TOKEN_HEADER: issued}
        return cart


@blp.route("/items/<string:sku>", parameters=[
    CART_TOKEN_PARAMETER,
    {"in": "path", "name": "sku", "required": True, "schema": {
        "type": "string", "minLength": 1, "maxLength": 64,
        "pattern": SKU_PATTERN}}])
class CartItem(MethodView):
    @token_optional
    @blp.arguments(QuantitySchema)
    @blp.response(200, CartSchema)
    def patch(self, body, sku):  # type: ignore[no-untyped-def]
        return items.set_quantity(current_db(), caller(), sku_of(sku), body["quantity"])

    @token_optional
    @blp.response(200, CartSchema)
    def delete(self, sku):  # type: ignore[no-untyped-def]
        return items.remove_item(current_db(), caller(), sku_of(sku))
