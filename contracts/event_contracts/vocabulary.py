"""Vocabularies more than one service speaks: the values event payloads carry."""

from enum import StrEnum


class DeliveryMethod(StrEnum):
    """How an order reaches its buyer (``OrderPlaced.delivery_method``)."""

    STANDARD = "standard"
    EXPRESS = "express"
    PICKUP = "pickup"  # the buyer collects it at the pickup point with a code


class ReturnKind(StrEnum):
    """What a buyer's after-sales request asks for (``type`` of the Return* events)."""

    REFUND_ONLY = "refund_only"  # money back, the goods stay with the buyer (or never left)
    RETURN_REFUND = "return_refund"  # the goods come back, then the money
    EXCHANGE = "exchange"  # the goods come back, a replacement parcel goes out
