"""Payment rules, in plain Python."""

from __future__ import annotations

from service_runtime.errors import Conflict, InvalidInput

AVAILABLE_METHODS = ("balance",)


class AlreadyPaid(Conflict):
    slug, title = "already-paid", "This order is already paid"


class InsufficientBalance(Conflict):
    slug, title = "insufficient-balance", "The wallet balance does not cover this payment"


class MethodNotAvailable(InvalidInput):
    slug, title = "payment-method-not-available", "This payment method is not available yet"


def check_method(method: str) -> None:
    if method not in AVAILABLE_METHODS:
        raise MethodNotAvailable(f"{method} is not available yet; use one of {AVAILABLE_METHODS}")


def check_credit(amount: int) -> None:
    if amount <= 0:
        raise InvalidInput("a credit must be a positive amount of minor units")
