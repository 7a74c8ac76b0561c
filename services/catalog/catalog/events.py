"""What the catalog tells others: every product change and stock move as ``ProductUpdated``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.models import Product, Sku
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox

outbox = Outbox("catalog")


def product_event(product: Product) -> dict:
    return product_event_data(
        product.id, product.name, product.brand, product.category_id,
        [{"sku": s.sku, "price": {"amount": s.price_amount, "currency": s.currency},
          "attributes": dict(s.attributes), "available": max(0, s.on_hand - s.reserved)}
         for s in product.skus],
        product.updated_at,
    )


def product_event_data(product_id: int, name: str, brand: str, category_id: int,
                       skus: list[dict], updated_at: datetime) -> dict:
    """``ProductUpdated``'s data; ``skus`` as the event carries them."""
    return {
        "product_id": product_id,
        "name": name,
        "brand": brand,
        "category_id": category_id,
        "skus": skus,
        "updated_at": updated_at.isoformat(),
    }


def publish_product(session: Session, product: Product) -> None:
    session.flush()
    outbox.emit(session, "ProductUpdated", key=str(product.id), data=product_event(product))


def publish_stock_change(session: Session, skus: Iterable[str]) -> None:
    """Stock moved (reserved, released, shipped): publish the products it belongs to.

    Keeps the copies other services hold (the cart's available stock) current. Each
    product gets a new ``updated_at`` so copies that apply newer-only take it.
    """
    product_ids = sorted(set(session.scalars(select(Sku.product_id).where(Sku.sku.in_(skus)))))
    at = now()
    for product_id in product_ids:  # in id order, so concurrent writers lock alike
        session.execute(update(Product).where(Product.id == product_id).values(updated_at=at)
                        .execution_options(synchronize_session=False))
    session.expire_all()  # the conditional updates bypassed the identity map
    for product in session.scalars(select(Product).where(Product.id.in_(product_ids))
                                   .order_by(Product.id)):
        publish_product(session, product)
