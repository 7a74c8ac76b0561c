"""A cart as the shopper sees it: priced and stocked from the local catalog copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart.domain import cart_totals
from cart.models import Cart, CartLine, CatalogSku
from service_runtime.money import Money


@dataclass(frozen=True)
class PricedLine:
    sku: str
    product_id: int
    name: str
    attributes: dict[str, str]
    quantity: int
    unit_price: Money  # the catalog's price now
    subtotal: Money
    available: int
    in_stock: bool
    added_at: datetime


@dataclass(frozen=True)
class PricedTotals:
    items: int
    subtotal: Money
    shipping_estimate: Money
    total: Money


@dataclass(frozen=True)
class PricedCart:
    lines: list[PricedLine]
    totals: PricedTotals
    cart_token: str | None  # a guest's cart only
    # Marketing's quote (``cart.quote_schemas.CartPricingSchema``); None without one.
    pricing: dict | None = None


def priced_cart(session: Session, cart: Cart | None, token: str | None) -> PricedCart:
    """The cart priced and stocked from the local catalog copy, with the guest's token."""
    rows = []
    if cart is not None:
        rows = [tuple(row) for row in session.execute(
            select(CartLine, CatalogSku).join(CatalogSku, CatalogSku.sku == CartLine.sku)
            .where(CartLine.cart_id == cart.id).order_by(CartLine.added_at, CartLine.sku)
        )]
    totals = cart_totals((line.quantity, item.price_amount, item.currency) for line, item in rows)
    return PricedCart(
        lines=[
            PricedLine(
                sku=line.sku, product_id=item.product_id, name=item.name,
                attributes=item.attributes, quantity=line.quantity,
                unit_price=Money(item.price_amount, item.currency),
                subtotal=Money(item.price_amount * line.quantity, item.currency),
                available=item.available,
                in_stock=item.listed and item.available >= line.quantity,
                added_at=line.added_at,
            )
            for line, item in rows
        ],
        totals=PricedTotals(
            items=totals.items,
            subtotal=Money(totals.subtotal, totals.currency),
            shipping_estimate=Money(totals.shipping, totals.currency),
            total=Money(totals.total, totals.currency),
        ),
        cart_token=token,
    )
