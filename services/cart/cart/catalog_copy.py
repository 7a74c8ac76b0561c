"""The cart's copy of the catalog (names, prices, stock), kept from ``ProductUpdated``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from cart.models import CatalogSku


def apply_product(session: Session, data: Mapping[str, Any]) -> None:
    """``ProductUpdated``: store what is newer than the local copy; ignore the rest.

    Duplicates and events overtaken by a newer one change nothing.
    """
    at: datetime = data["updated_at"]
    names = [sku["sku"] for sku in data["skus"]]
    for sku in data["skus"]:
        values = {
            "product_id": data["product_id"],
            "name": data["name"][:200],
            "price_amount": sku["price"]["amount"],
            "currency": sku["price"]["currency"],
            "available": sku["available"],
            "attributes": dict(sku["attributes"]),
            "listed": True,
            "updated_at": at,
        }
        changed = session.execute(
            update(CatalogSku)
            .where(CatalogSku.sku == sku["sku"], CatalogSku.updated_at < at)
            .values(**values)
        ).rowcount
        if changed == 0 and session.get(CatalogSku, sku["sku"]) is None:
            session.execute(insert(CatalogSku).values(sku=sku["sku"], **values))
    # SKUs the product no longer has are no longer for sale.
    session.execute(
        update(CatalogSku)
        .where(CatalogSku.product_id == data["product_id"], CatalogSku.sku.not_in(names),
               CatalogSku.updated_at < at)
        .values(listed=False, available=0, updated_at=at)
    )
