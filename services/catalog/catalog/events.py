"""What the catalog tells others: every product change and stock move as ``ProductUpdated``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.models import Category, Product, Sku
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox

outbox = Outbox("catalog")


_PATHS = "catalog.category_id_paths"  # session.info key: the paths this transaction knows
MAX_DEPTH = 10


def product_event(product: Product, category_path: list[int]) -> dict:
    return product_event_data(
        product.id, product.name, product.brand, product.category_id,
        [{"sku": s.sku, "price": {"amount": s.price_amount, "currency": s.currency},
          "attributes": dict(s.attributes), "available": max(0, s.on_hand - s.reserved)}
         for s in product.skus],
        product.updated_at, category_path,
    )


def product_event_data(product_id: int, name: str, brand: str, category_id: int,
                       skus: list[dict], updated_at: datetime,
                       category_path: list[int]) -> dict:
    """``ProductUpdated``'s data; ``skus`` as the event carries them, ``category_path`` the
    category's ids from the root down to ``category_id``."""
    return {
        "product_id": product_id,
        "name": name,
        "brand": brand,
        "category_id": category_id,
        "category_path": list(category_path),
        "skus": skus,
        "updated_at": updated_at.isoformat(),
    }


def id_path(parents: Mapping[int, int | None], category_id: int) -> list[int]:
    """The ids from the root down to ``category_id``, given each category's parent (a
    parent missing from ``parents`` ends the walk, a cycle stops at ``MAX_DEPTH``)."""
    path = [category_id]
    parent = parents.get(category_id)
    while parent is not None and len(path) < MAX_DEPTH:
        path.append(parent)
        parent = parents.get(parent)
    path.reverse()
    return path


def category_id_path(session: Session, category_id: int) -> list[int]:
    """``category_id``'s path, read once per transaction (kept in ``session.info``): a
    transaction publishing many products of one category walks the tree once."""
    known: dict[int, list[int]] = session.info.setdefault(_PATHS, {})
    if category_id not in known:
        parents: dict[int, int | None] = {}
        current: int | None = category_id
        while current is not None and current not in parents and len(parents) < MAX_DEPTH:
            parent = session.scalar(select(Category.parent_id).where(Category.id == current))
            parents[current] = parent
            current = parent
        known[category_id] = id_path(parents, category_id)
    return known[category_id]


def publish_product(session: Session, product: Product) -> None:
    session.flush()
    path = category_id_path(session, product.category_id)
    outbox.emit(session, "ProductUpdated", key=str(product.id),
                data=product_event(product, path))


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
