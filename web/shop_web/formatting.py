"""How figures of the API read on a page: money in yuan, times in the shopper's words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}


def money(value: Any) -> str:
    """``{amount: 12990, currency: "CNY"}`` (minor units) or a bare amount -> ``¥129.90``."""
    if value is None:
        return ""
    if isinstance(value, dict):
        amount, currency = int(value.get("amount") or 0), str(value.get("currency") or "CNY")
    else:
        amount, currency = int(value), "CNY"
    sign = "-" if amount < 0 else ""
    yuan, fen = divmod(abs(amount), 100)
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{yuan:,}.{fen:02d}"


def when(value: Any) -> str:
    """An ISO timestamp of the API as ``2026-12-02 16:30``."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M")
