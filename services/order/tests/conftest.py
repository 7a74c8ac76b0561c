import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from order.app import create_app
from order.cart_and_user_client import ADDRESS_FIELDS
from order.definition import DEFINITION
from order.handlers import handlers
from order.prices import load_prices
from order.settings import OrderSettings
from service_runtime.auth import Unauthorized
from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer
from service_runtime.money import Money
from service_runtime.testing.contracts import http_answer, serve_stub
from service_runtime.testing.plugin import ServiceUnderTest

# The test quote server lives beside this file (the tests are imported by path).
sys.path.insert(0, str(Path(__file__).parent))
from order_quote_server import serve_quote

# An address as the user service's contract example shows it (what checkout copies).
HOME = {name: http_answer("user", "found")[1][name] for name in ADDRESS_FIELDS}
# The address books checkout reads: alice's home and bob's.
ADDRESSES = {"addr_1": ("alice", HOME),
             "addr_bob": ("bob", {**HOME, "recipient": "韩梅梅", "detail": "北山路 1 号"})}

PRICES = {"KETTLE": Money(9900, "CNY"), "MUG": Money(2500, "CNY"), "USD-THING": Money(100, "USD")}


@pytest.fixture
def service_under_test(address_book, cart, marketing):
    """The order API, its checkout reading the stubbed cart and address book and pricing
    through the test quote server."""
    settings = OrderSettings(cart_service_url=cart.url, user_service_url=address_book.url,
                             marketing_service_url=marketing.url)
    return ServiceUnderTest(DEFINITION, partial(create_app, settings=settings),
                            {"MAX_CONTENT_LENGTH": 64 * 1024})


@pytest.fixture
def reconfigure(app, monkeypatch):
    """Change settings of the running API, as a restart with other variables would."""
    def change(**settings) -> None:
        monkeypatch.setitem(app.extensions, "settings",
                            replace(app.extensions["settings"], **settings))
    return change


@pytest.fixture
def app(app):
    """The plugin's app, with the test prices loaded."""
    load_prices(app.extensions["db"], PRICES)
    return app


@pytest.fixture
def consumer(db):
    return EventConsumer("order", "order", db, handlers, KafkaSettings(), DeliverySettings())


class AddressBookStub:
    """The user service at its HTTP boundary, as checkout reads it
    (``GET /api/v1/users/me/addresses/<address_id>``): answers shaped as the examples in
    ``event_contracts/http_examples/user.json``, which the user service's own tests check
    it answers. The books are {address id: (user id, address fields)}."""

    def __init__(self, addresses: dict[str, tuple[str, dict]]) -> None:
        self.addresses = {address_id: (user_id, dict(fields))
                          for address_id, (user_id, fields) in addresses.items()}
        self.url = ""

    def move(self, address_id: str, **changes: str) -> None:
        """The owner edits the address (as a PATCH to the user service would)."""
        self.addresses[address_id][1].update(changes)

    def answer(self, user_id: str | None, parameters: dict[str, str]) -> tuple[int, dict]:
        if user_id is None:
            raise Unauthorized("a signed-in caller's address book only")
        address_id = parameters["address_id"]
        owner, fields = self.addresses.get(address_id, (None, {}))
        if owner != user_id:
            status, body = http_answer("user", "not_in_your_book")
            return status, {**body, "detail": f"no address {address_id}"}
        status, body = http_answer("user", "found")
        return status, {**body, **fields, "id": address_id}


class CartStub:
    """The cart service at its HTTP boundary, as checkout reads it (``GET /api/v1/cart``):
    answers shaped as the examples in ``event_contracts/http_examples/cart.json``, which
    the cart service's own tests check it answers. Its lines carry the cart's own (stale)
    prices, which an order must never use."""

    def __init__(self) -> None:
        self.carts: dict[str, list[tuple[str, int]]] = {}
        self.url = ""

    def holds(self, user_id: str, *lines: tuple[str, int]) -> None:
        self.carts[user_id] = list(lines)

    def answer(self, user_id: str | None, _parameters: dict[str, str]) -> tuple[int, dict]:
        lines = self.carts.get(user_id or "")
        if not lines:  # a caller without a cart (or a token) sees an empty one
            return http_answer("cart", "empty")
        status, example = http_answer("cart", "with_lines")
        template, shipping = example["lines"][0], example["totals"]["shipping_estimate"]
        price = template["unit_price"]
        answered = [{**template, "sku": sku, "name": sku, "quantity": quantity,
                     "subtotal": {**price, "amount": price["amount"] * quantity}}
                    for sku, quantity in lines]
        subtotal = sum(line["subtotal"]["amount"] for line in answered)
        return status, {"lines": answered, "totals": {
            "items": sum(quantity for _, quantity in lines),
            "subtotal": {**price, "amount": subtotal}, "shipping_estimate": shipping,
            "total": {**price, "amount": subtotal + shipping["amount"]}}}


@pytest.fixture(autouse=True)
def address_book(signing_key):
    """The user service holding ``ADDRESSES``, stubbed at its HTTP boundary: checkout
    copies the buyer's chosen address from it (``OrderSettings.user_service_url``)."""
    stub = AddressBookStub(ADDRESSES)
    with serve_stub(signing_key, {"GET /api/v1/users/me/addresses/<address_id>":
                                  stub.answer}) as url:
        stub.url = url
        yield stub


@pytest.fixture
def cart(signing_key):
    """The cart service, stubbed at its HTTP boundary (``OrderSettings.cart_service_url``)."""
    stub = CartStub()
    with serve_stub(signing_key, {"GET /api/v1/cart": stub.answer}) as url:
        stub.url = url
        yield stub


@pytest.fixture
def marketing(signing_key):
    """The marketing service's quote over real HTTP (``tests/quote_server.py``): no coupons
    and no points unless a test gives some (``marketing.give``, ``marketing.balances``)."""
    with serve_quote(signing_key) as server:
        yield server
