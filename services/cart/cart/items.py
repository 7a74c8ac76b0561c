"""What a shopper does with their cart: look at it, add, change and remove lines."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from cart.carts import Caller, create_cart, locked_cart, resolve_owner
from cart.domain import (
    MAX_LINES,
    MAX_QUANTITY,
    CurrencyMismatch,
    InsufficientStock,
    LineNotFound,
    QuantityLimit,
    TooManyLines,
    UnknownSku,
    guest_owner,
    new_cart_token,
    user_owner,
)
from cart.models import Cart, CartLine, CatalogSku
from cart.pricing import PricedCart, priced_cart
from service_runtime.db import Database
from service_runtime.ids import utcnow as now


def get_cart(db: Database, caller: Caller) -> PricedCart:
    """The caller's cart. A signed-in caller presenting a cart token gets it merged first."""
    if caller.user_id and caller.token:
        with db.transaction() as session:
            return priced_cart(session, locked_cart(session, resolve_owner(session, caller)), None)
    with db.read() as session:
        owner = resolve_owner(session, caller)
        cart = session.scalar(select(Cart).where(Cart.owner == owner)) if owner else None
        return priced_cart(session, cart, caller.token if caller.user_id is None else None)


def add_item(db: Database, caller: Caller, sku: str,
             quantity: int) -> tuple[PricedCart, str | None]:
    """Add to the caller's cart (to its line of that SKU if there is one).

    Returns the cart and, when a guest got a new cart, its new token.
    """
    with db.transaction() as session:
        owner = resolve_owner(session, caller)
        item = _sellable(session, sku)
        cart = locked_cart(session, owner)
        issued = None
        if cart is None:
            if caller.user_id is None:
                # A guest without a (known) token gets one made here, never one it chose.
                issued = new_cart_token()
                owner = guest_owner(issued)
            cart = create_cart(session, owner)
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
        return priced_cart(session, cart, token), issued


def set_quantity(db: Database, caller: Caller, sku: str, quantity: int) -> PricedCart:
    with db.transaction() as session:
        cart = locked_cart(session, resolve_owner(session, caller))
        line = session.get(CartLine, (cart.id, sku)) if cart is not None else None
        if line is None:
            raise LineNotFound(f"no line {sku} in the cart")
        item = _sellable(session, sku)
        _check_quantity(item, quantity)
        session.execute(update(CartLine)
                        .where(CartLine.cart_id == cart.id, CartLine.sku == sku)
                        .values(quantity=quantity))
        return priced_cart(session, cart, caller.token if caller.user_id is None else None)


def remove_item(db: Database, caller: Caller, sku: str) -> PricedCart:
    with db.transaction() as session:
        cart = locked_cart(session, resolve_owner(session, caller))
        removed = 0
        if cart is not None:
            removed = session.execute(
                delete(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku == sku)
            ).rowcount
        if removed != 1:
            raise LineNotFound(f"no line {sku} in the cart")
        return priced_cart(session, cart, caller.token if caller.user_id is None else None)


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
