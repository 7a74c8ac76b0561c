"""An amount of money as the services hand it to their response schemas, and its schema
(``MoneySchema``, the contracts' own: the quote between services nests it too)."""

from __future__ import annotations

from dataclasses import dataclass

from event_contracts.money import MoneySchema


@dataclass(frozen=True)
class Money:
    """Integer minor units (fen for CNY), never a float, and its ISO 4217 currency."""

    amount: int
    currency: str


def money_json(amount: int, currency: str) -> dict[str, int | str]:
    """An amount as event payloads and hand-built answers carry it: ``{amount, currency}``."""
    return {"amount": amount, "currency": currency}


__all__ = ["Money", "MoneySchema", "money_json"]
