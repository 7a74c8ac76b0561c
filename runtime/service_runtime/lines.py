"""Quantity lines: the (sku, quantity) pairs that orders, reservations and returns name."""

from __future__ import annotations

from collections.abc import Iterable


def quantities_by_sku(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """One quantity per SKU, the lines naming it added up, in the order first named."""
    merged: dict[str, int] = {}
    for sku, quantity in lines:
        merged[sku] = merged.get(sku, 0) + quantity
    return merged
