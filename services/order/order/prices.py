"""The order service's copy of the catalog's prices: orders are priced from it, never
from what a client or the cart sends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from order.models import SkuPrice
from service_runtime.db import Database
from service_runtime.money import Money


def record_prices(session: Session, skus: Sequence[Mapping], updated_at: datetime,
                  product_id: int | None = None) -> None:
    """``ProductUpdated``: take the catalog's prices, unless what is stored is newer."""
    for sku in skus:
        current = session.get(SkuPrice, sku["sku"])
        if current is None:
            session.add(SkuPrice(sku=sku["sku"], amount=sku["price"]["amount"],
                                 currency=sku["price"]["currency"], product_id=product_id,
                                 updated_at=updated_at))
        elif current.updated_at is None or current.updated_at < updated_at:
            current.amount = sku["price"]["amount"]
            current.currency = sku["price"]["currency"]
            current.product_id = product_id
            current.updated_at = updated_at


def load_prices(db: Database, prices: Mapping[str, Money]) -> int:
    """Seed prices (the demo, tests) before the catalog has published any."""
    with db.transaction() as session:
        for sku, price in prices.items():
            session.merge(SkuPrice(sku=sku, amount=price.amount, currency=price.currency))
    return len(prices)
