"""The one synchronous call of the order service: read the caller's cart.

An order placed without ``lines`` takes the cart's SKUs and quantities, nothing else:
prices always come from this service's own price list. The caller's own token is
forwarded, so the cart service decides whose cart it is.
"""

from __future__ import annotations

import requests

from order.domain import RequestedLine
from service_runtime import context
from service_runtime.config import env_int, env_str
from service_runtime.errors import InvalidInput, ServiceUnavailable

DEFAULT_CART_URL = "http://127.0.0.1:8103"


class CartUnavailable(ServiceUnavailable):
    slug, title = "cart-unavailable", "The cart cannot be read right now; try again"


class EmptyCart(InvalidInput):
    slug, title = "empty-cart", "The cart is empty: nothing to order"


def cart_lines(authorization: str | None) -> list[RequestedLine]:
    """The SKUs and quantities in the caller's cart (``GET {CART_SERVICE_URL}/api/v1/cart``).

    Short timeouts (``ORDER_CART_TIMEOUT_MS``): a slow cart fails the checkout with a 503
    rather than holding a worker. An empty cart is a 422.
    """
    url = env_str("CART_SERVICE_URL", DEFAULT_CART_URL).rstrip("/") + "/api/v1/cart"
    timeout = env_int("ORDER_CART_TIMEOUT_MS", 2000) / 1000
    headers = {"X-Correlation-ID": context.current_correlation_id()}
    if authorization:
        headers["Authorization"] = authorization
    try:
        response = requests.get(url, headers=headers, timeout=(timeout, timeout))
    except requests.RequestException as exc:
        raise CartUnavailable("the cart service did not answer") from exc
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
