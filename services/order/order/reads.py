"""The order service's synchronous reads, made while the buyer waits at checkout: the
caller's cart (for an order placed without ``lines``) and the chosen address.

Only what the order needs is taken: the cart's SKUs and quantities (prices always come
from this service's own price list) and a copy of the address. The caller's own token is
forwarded, so the other service decides whose cart or address it is. Short timeouts
(``ORDER_READ_TIMEOUT_MS``): a slow service fails the checkout with a 503 rather than
holding a worker.
"""

from __future__ import annotations

from urllib.parse import quote

import requests

from event_contracts.common import ShippingAddressSchema
from order.domain import RequestedLine
from service_runtime import context
from service_runtime.config import Process, env_int, env_str, laptop_default
from service_runtime.errors import InvalidInput, ServiceUnavailable

# Checkout reads the buyer's cart and address book while the buyer waits.
DEFAULT_CART_URL = laptop_default("CART_SERVICE_URL", "http://127.0.0.1:8103",
                                  read_by=[("order", Process.API)])
DEFAULT_USER_URL = laptop_default("USER_SERVICE_URL", "http://127.0.0.1:8101",
                                  read_by=[("order", Process.API)])
ADDRESS_FIELDS = tuple(ShippingAddressSchema().fields)


class CartUnavailable(ServiceUnavailable):
    slug, title = "cart-unavailable", "The cart cannot be read right now; try again"


class AddressBookUnavailable(ServiceUnavailable):
    slug, title = "address-book-unavailable", "Addresses cannot be read right now; try again"


class EmptyCart(InvalidInput):
    slug, title = "empty-cart", "The cart is empty: nothing to order"


class UnknownAddress(InvalidInput):
    slug, title = "unknown-address", "The address is not in your address book"


def _get(url: str, authorization: str | None,
         unavailable: type[ServiceUnavailable]) -> requests.Response:
    timeout = env_int("ORDER_READ_TIMEOUT_MS", 2000) / 1000
    headers = {"X-Correlation-ID": context.current_correlation_id()}
    if authorization:
        headers["Authorization"] = authorization
    try:
        return requests.get(url, headers=headers, timeout=(timeout, timeout))
    except requests.RequestException as exc:
        raise unavailable(f"{url} did not answer") from exc


def cart_lines(authorization: str | None) -> list[RequestedLine]:
    """The SKUs and quantities in the caller's cart (``GET {CART_SERVICE_URL}/api/v1/cart``);
    an empty cart is a 422."""
    url = env_str("CART_SERVICE_URL", DEFAULT_CART_URL).rstrip("/") + "/api/v1/cart"
    response = _get(url, authorization, CartUnavailable)
    if response.status_code != 200:
        raise CartUnavailable(f"the cart service answered {response.status_code}")
    try:
        lines = [RequestedLine(str(line["sku"]), int(line["quantity"]))
                 for line in response.json()["lines"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise CartUnavailable("the cart service sent an unreadable cart") from exc
    if not lines:
        raise EmptyCart()
    return lines


def shipping_address(authorization: str | None, address_id: str) -> dict[str, str | None]:
    """A copy of the caller's address ``address_id``
    (``GET {USER_SERVICE_URL}/api/v1/users/me/addresses/{id}``); not theirs is a 422."""
    url = (env_str("USER_SERVICE_URL", DEFAULT_USER_URL).rstrip("/")
           + "/api/v1/users/me/addresses/" + quote(address_id, safe=""))
    response = _get(url, authorization, AddressBookUnavailable)
    if response.status_code == 404:
        raise UnknownAddress(f"no address {address_id!r} in your address book")
    if response.status_code != 200:
        raise AddressBookUnavailable(f"the user service answered {response.status_code}")
    try:
        found = response.json()
        address = {name: found.get(name) for name in ADDRESS_FIELDS}
    except (ValueError, AttributeError) as exc:
        raise AddressBookUnavailable("the user service sent an unreadable address") from exc
    if ShippingAddressSchema().validate(address):
        raise AddressBookUnavailable("the user service sent an incomplete address")
    return address
