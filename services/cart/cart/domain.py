"""Cart rules in plain Python: limits, owners and cart tokens, totals and shipping."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from service_runtime.errors import Conflict, InvalidInput, Problem

MAX_QUANTITY = 99
MAX_LINES = 50
DEFAULT_CURRENCY = "CNY"
FREE_SHIPPING_FROM = 9900  # fen
SHIPPING_FEE = 1000  # fen

TOKEN_BYTES = 32  # 256 bits; secrets.token_urlsafe(32) is 43 characters
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CART_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{43}$"
_TOKEN = re.compile(CART_TOKEN_PATTERN)
_SKU = re.compile(SKU_PATTERN)


class UnknownSku(InvalidInput):
    slug, title = "unknown-sku", "The SKU is not for sale"


class InsufficientStock(Conflict):
    slug, title = "insufficient-stock", "Not enough in stock"


class QuantityLimit(InvalidInput):
    slug, title = "quantity-limit", f"At most {MAX_QUANTITY} of one SKU per cart"


class TooManyLines(InvalidInput):
    slug, title = "too-many-lines", f"At most {MAX_LINES} different SKUs per cart"


class CurrencyMismatch(InvalidInput):
    slug, title = "currency-mismatch", "Every line of a cart must be in one currency"


class InvalidCartToken(Problem):
    status, slug, title = 400, "invalid-cart-token", "The cart token is malformed"


class LineNotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


def new_cart_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def check_cart_token(token: str) -> str:
    if not _TOKEN.match(token):
        raise InvalidCartToken("X-Cart-Token must be the 43-character token this service issued")
    return token


def valid_sku(sku: str) -> bool:
    return 1 <= len(sku) <= 64 and bool(_SKU.match(sku))


def user_owner(user_id: str) -> str:
    return f"user:{user_id}"


def guest_owner(token: str) -> str:
    return "guest:" + hashlib.sha256(token.encode()).hexdigest()


def shipping_estimate(subtotal: int, line_count: int) -> int:
    """Free at or above 99.00 yuan, else 10.00 yuan; nothing to ship, nothing to pay."""
    if line_count == 0:
        return 0
    return 0 if subtotal >= FREE_SHIPPING_FROM else SHIPPING_FEE


def merged_quantity(current: int, added: int) -> int:
    """A guest line merged into the user's line: quantities added, capped per line."""
    return min(current + added, MAX_QUANTITY)


@dataclass(frozen=True)
class Totals:
    items: int
    subtotal: int
    shipping: int
    currency: str

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping


def cart_totals(lines: Iterable[tuple[int, int, str]]) -> Totals:
    """Totals of (quantity, unit amount, currency) lines, all in one currency."""
    lines = list(lines)
    currencies = {currency for _, _, currency in lines}
    if len(currencies) > 1:
        raise CurrencyMismatch(currencies=sorted(currencies))
    currency = currencies.pop() if currencies else DEFAULT_CURRENCY
    items = sum(quantity for quantity, _, _ in lines)
    subtotal = sum(quantity * amount for quantity, amount, _ in lines)
    return Totals(items, subtotal, shipping_estimate(subtotal, len(lines)), currency)
