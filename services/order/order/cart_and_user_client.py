"""The HTTP client of the cart and user services, for what checkout reads while the
buyer waits: the caller's cart (for an order placed without ``lines``) and the chosen
address.

Only what the order needs is taken: the cart's SKUs and quantities (prices always come
from this service's own price list) and a copy of the address. The caller's own token is
forwarded, so the other service decides whose cart or address it is. Short timeouts
(``OrderSettings.read_timeout_ms``): a slow service fails the checkout with a 503 rather
than holding a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import requests

from event_contracts.common import ShippingAddressSchema
from order.domain import RequestedLine
from order.internal_http import call
from order.settings import OrderSettings
from service_runtime.errors import InvalidInput, ServiceUnavailable

ADDRESS_FIELDS = tuple(ShippingAddressSchema().fields)


class CartUnavailable(ServiceUnavailable):
    slug, title = "cart-unavailable", "The cart cannot be read right now; try again"


class AddressBookUnavailable(ServiceUnavailable):
    slug, title = "address-book-unavailable", "Addresses cannot be read right now; try again"


class EmptyCart(InvalidInput):
    slug, title = "empty-cart", "The cart is empty: nothing to order"


class UnknownAddress(InvalidInput):
    slug, title = "unknown-address", "The address is not in your address book"


@dataclass(frozen=True)
class CartAndUserClient:
    """Reads on behalf of one caller (``authorization``: their Authorization header)."""

    cart_service_url: str
    user_service_url: str
    timeout_s: float
    authorization: str | None

    @classmethod
    def for_caller(cls, settings: OrderSettings, authorization: str | None) -> CartAndUserClient:
        return cls(settings.cart_service_url, settings.user_service_url,
                   settings.read_timeout_ms / 1000, authorization)

    def cart_lines(self) -> list[RequestedLine]:
        """The SKUs and quantities in the caller's cart (``GET {cart}/api/v1/cart``); an
        empty cart is a 422."""
        url = self.cart_service_url.rstrip("/") + "/api/v1/cart"
        response = self._get(url, CartUnavailable)
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

    def shipping_address(self, address_id: str) -> dict[str, str | None]:
        """A copy of the caller's address ``address_id``
        (``GET {user}/api/v1/users/me/addresses/{id}``); not theirs is a 422."""
        url = (self.user_service_url.rstrip("/")
               + "/api/v1/users/me/addresses/" + quote(address_id, safe=""))
        response = self._get(url, AddressBookUnavailable)
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

    def _get(self, url: str, unavailable: type[ServiceUnavailable]) -> requests.Response:
        return call("GET", url, self.authorization, self.timeout_s, unavailable)
