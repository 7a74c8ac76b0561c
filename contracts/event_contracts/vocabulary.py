"""Words that cross services: the closed sets event fields take their values from.

Enums only. A service compares with these members, never with the raw strings, so a
word that changes changes in one place and a misspelt one does not import.
"""

from enum import StrEnum


class PaymentMethod(StrEnum):
    """How a buyer pays an order (``PaymentConfirmed.method``, ``RefundIssued.method``)."""

    BALANCE = "balance"  # the buyer's wallet
    ALIPAY = "alipay"
    WECHAT = "wechat"
    CARD = "card"
    CASH_ON_DELIVERY = "cod"  # the courier collects it; the order ships unpaid


class RefundDestination(StrEnum):
    """Where a refund's money went (``RefundIssued.destination``)."""

    ORIGINAL = "original"  # back the way it was paid
    BALANCE = "balance"  # into the wallet (cash on delivery cannot be handed back in cash)
