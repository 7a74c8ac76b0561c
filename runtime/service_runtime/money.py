"""An amount of money as the services hand it to their response schemas."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Money:
    """Integer minor units (fen for CNY), never a float, and its ISO 4217 currency."""

    amount: int
    currency: str
