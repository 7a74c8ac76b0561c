"""Cart use cases: one function per command, one transaction each.

Every command that changes a cart first touches the cart's row (``UPDATE carts``):
on PostgreSQL that row lock queues concurrent commands on the same cart, and SQLite
serialises writers anyway, so the checks that follow (line count, per-line limit,
stock) hold for what is then written.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from cart.domain import (
    MAX_LINES,
    MAX_QUANTITY,
    CurrencyMismatch,
    InsufficientStock,
    LineNotFound,
    QuantityLimit,
    TooManyLines,
    UnknownSku,
    cart_totals,
    guest_owner,
    merged_quantity,
    new_cart_token,
    user_owner,
)
from cart.models import Cart, CartLine, CatalogSku
from service_runtime.db import Database, insert_if_absent
from service_runtime.ids import utcnow as now


def new_cart_id() -> str:
    return f"cart_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"


@dataclass(frozen=True)
class Caller:
    """Who is asking: a verified user, a guest's (well-formed) cart token, both or neither."""

    user_id: str | None = None
    token: str | None = None


# -- reading ------------------------------------------------------------------------


def get_cart(db: Database, caller: Caller) -> dict:
    """The caller's cart. A signed-in caller presenting a cart token gets it merged first."""
    if caller.user_id and caller.token:
        with db.transaction() as session:
            return _view(session, _cart(session, _resolve(session, caller)), None)
    with db.read() as session:
        owner = _resolve(session, caller)
        cart = session.scalar(select(Cart).where(Cart.owner == owner)) if owner else None
        return _view(session, cart, caller.token if caller.user_id is None else None)


# -- commands -----------------------------------------------------------------------


def add_item(db: Database, caller: Caller, sku: str, quantity: int) -> tuple[dict, str | None]:
    """Add to the caller's cart (to its line of that SKU if there is one).

    Returns the cart and, when a guest got a new cart, its new token.
    """
    with db.transaction() as session:
        owner = _resolve(session, caller)
        item = _sellable(session, sku)
        cart = _cart(session, owner)
        issued = None
        if cart is None:
            if caller.user_id is None:
                # A guest without a (known) token gets one made here, never one it chose.
                issued = new_cart_token()
                owner = guest_owner(issued)
            cart = _create_cart(session, owner)
        line = session.get(CartLine, (cart.id, sku))
        current = line.quantity if line is not None else 0
        if line is None:
            _check_room(session, cart.id)
            _check_currency(session, cart.id, item)
        _check_quantity(item, current + quantity)
        if line is None:
            session.execute(insert(CartLine).values(cart_id=cart.id, sku=sku, quantity=quantity,
                                                    added_at=now()))
        else:
            session.execute(update(CartLine)
                            .where(CartLine.cart_id == cart.id, CartLine.sku == sku)
                            .values(quantity=current + quantity))
        token = issued or (caller.token if caller.user_id is None else None)
        return _view(session, cart, token), issued


def set_quantity(db: Database, caller: Caller, sku: str, quantity: int) -> dict:
    with db.transaction() as session:
        cart = _cart(session, _resolve(session, caller))
        line = session.get(CartLine, (cart.id, sku)) if cart is not None else None
        if line is None:
            raise LineNotFound(f"no line {sku} in the cart")
        item = _sellable(session, sku)
        _check_quantity(item, quantity)
        session.execute(update(CartLine)
                        .where(CartLine.cart_id == cart.id, CartLine.sku == sku)
                        .values(quantity=quantity))
        return _view(session, cart, caller.token if caller.user_id is None else None)


def remove_item(db: Database, caller: Caller, sku: str) -> dict:
    with db.transaction() as session:
        cart = _cart(session, _resolve(session, caller))
        removed = 0
        if cart is not None:
            removed = session.execute(
                delete(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku == sku)
            ).rowcount
        if removed != 1:
            raise LineNotFound(f"no line {sku} in the cart")
        return _view(session, cart, caller.token if caller.user_id is None else None)


# -- events -------------------------------------------------------------------------


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


def remove_bought(session: Session, user_id: str, lines: Iterable[tuple[str, int]]) -> None:
    """``OrderPlaced``: take what was bought out of the buyer's cart; lines at 0 go."""
    cart_id = session.scalar(select(Cart.id).where(Cart.owner == user_owner(user_id)))
    if cart_id is None:
        return
    bought: dict[str, int] = {}
    for sku, quantity in lines:
        bought[sku] = bought.get(sku, 0) + quantity
    for sku, quantity in sorted(bought.items()):
        of_line = (CartLine.cart_id == cart_id, CartLine.sku == sku)
        session.execute(update(CartLine).where(*of_line, CartLine.quantity > quantity)
                        .values(quantity=CartLine.quantity - quantity))
        session.execute(delete(CartLine).where(*of_line, CartLine.quantity <= quantity))
    session.execute(update(Cart).where(Cart.id == cart_id).values(updated_at=now()))


# -- helpers ------------------------------------------------------------------------


def _resolve(session: Session, caller: Caller) -> str | None:
    """The owner whose cart the caller works on; a guest cart presented by a user merges."""
    if caller.user_id is not None:
        if caller.token is not None:
            _merge(session, caller.user_id, caller.token)
        return user_owner(caller.user_id)
    return guest_owner(caller.token) if caller.token is not None else None


def _cart(session: Session, owner: str | None) -> Cart | None:
    """The owner's cart, locked for this transaction (None if there is none)."""
    if owner is None:
        return None
    touched = session.execute(
        update(Cart).where(Cart.owner == owner).values(updated_at=now())
    ).rowcount
    return session.scalar(select(Cart).where(Cart.owner == owner)) if touched else None


def _create_cart(session: Session, owner: str) -> Cart:
    at = now()
    # A concurrent request of the same owner may create it first; then that one is used.
    insert_if_absent(session, Cart, id=new_cart_id(), owner=owner, created_at=at, updated_at=at)
    cart = _cart(session, owner)
    assert cart is not None
    return cart


def _merge(session: Session, user_id: str, token: str) -> None:
    """Move a guest cart into the user's: quantities added (capped), the guest cart deleted.

    Deleting the guest cart in the same transaction is what makes a merge happen once.
    """
    guest = _cart(session, guest_owner(token))
    if guest is None:
        return
    lines = list(session.scalars(
        select(CartLine).where(CartLine.cart_id == guest.id)
        .order_by(CartLine.added_at, CartLine.sku)
    ))
    session.execute(delete(CartLine).where(CartLine.cart_id == guest.id))
    session.execute(delete(Cart).where(Cart.id == guest.id))
    if not lines:
        return
    owner = user_owner(user_id)
    cart = _cart(session, owner) or _create_cart(session, owner)
    existing = {line.sku: line.quantity for line in session.scalars(
        select(CartLine).where(CartLine.cart_id == cart.id))}
    for line in lines:
        if line.sku in existing:
            session.execute(
                update(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku == line.sku)
                .values(quantity=merged_quantity(existing[line.sku], line.quantity)))
        elif len(existing) < MAX_LINES:
            session.execute(insert(CartLine).values(cart_id=cart.id, sku=line.sku,
                                                    quantity=line.quantity,
                                                    added_at=line.added_at))
            existing[line.sku] = line.quantity
        # A guest line that does not fit a full cart is dropped.


def _sellable(session: Session, sku: str) -> CatalogSku:
    item = session.get(CatalogSku, sku)
    if item is None or not item.listed:
        raise UnknownSku(f"{sku} is not for sale", sku=sku)
    return item


def _check_room(session: Session, cart_id: str) -> None:
    count = session.scalar(
        select(func.count()).select_from(CartLine).where(CartLine.cart_id == cart_id))
    if count >= MAX_LINES:
        raise TooManyLines(f"the cart already has {count} lines")


def _check_currency(session: Session, cart_id: str, item: CatalogSku) -> None:
    other = session.scalar(
        select(CatalogSku.currency).join(CartLine, CartLine.sku == CatalogSku.sku)
        .where(CartLine.cart_id == cart_id, CatalogSku.currency != item.currency).limit(1))
    if other is not None:
        raise CurrencyMismatch(f"the cart is in {other}, {item.sku} in {item.currency}")


def _check_quantity(item: CatalogSku, quantity: int) -> None:
    if quantity > MAX_QUANTITY:
        raise QuantityLimit(f"{item.sku} would reach {quantity}", sku=item.sku,
                            max_quantity=MAX_QUANTITY)
    if quantity > item.available:
        raise InsufficientStock(f"only {item.available} of {item.sku} available",
                                sku=item.sku, requested=quantity, available=item.available)


def _view(session: Session, cart: Cart | None, token: str | None) -> dict:
    """The cart as the API shows it, priced and stocked from the local catalog copy."""
    rows = []
    if cart is not None:
        rows = [tuple(row) for row in session.execute(
            select(CartLine, CatalogSku).join(CatalogSku, CatalogSku.sku == CartLine.sku)
            .where(CartLine.cart_id == cart.id).order_by(CartLine.added_at, CartLine.sku)
        )]
    totals = cart_totals((line.quantity, item.price_amount, item.currency) for line, item in rows)

    def money(amount: int, currency: str = totals.currency) -> dict:
        return {"amount": amount, "currency": currency}

    view: dict[str, Any] = {
        "lines": [
            {
                "sku": line.sku,
                "name": item.name,
                "attributes": item.attributes,
                "quantity": line.quantity,
                "unit_price": money(item.price_amount, item.currency),
                "subtotal": money(item.price_amount * line.quantity, item.currency),
                "available": item.available,
                "in_stock": item.listed and item.available >= line.quantity,
                "added_at": line.added_at,
            }
            for line, item in rows
        ],
        "totals": {
            "items": totals.items,
            "subtotal": money(totals.subtotal),
            "shipping_estimate": money(totals.shipping),
            "total": money(totals.total),
        },
    }
    if token is not None:
        view["cart_token"] = token
    return view
