"""Whose cart a request works on: a user's, a guest's (by its token), a guest's merged into
the user's on sign-in.

Every command that changes a cart first touches the cart's row (``UPDATE carts``,
``locked_cart``): on PostgreSQL that row lock queues concurrent commands on the same cart,
and SQLite serialises writers anyway, so the checks that follow (line count, per-line
limit, stock) hold for what is then written."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from cart.domain import MAX_LINES, guest_owner, merged_quantity, user_owner
from cart.models import Cart, CartLine
from service_runtime.db import insert_if_absent
from service_runtime.ids import utcnow as now


def new_cart_id() -> str:
    return f"cart_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"


@dataclass(frozen=True)
class Caller:
    """Who is asking: a verified user, a guest's (well-formed) cart token, both or neither."""

    user_id: str | None = None
    token: str | None = None


def resolve_owner(session: Session, caller: Caller) -> str | None:
    """The owner whose cart the caller works on; a guest cart presented by a user merges."""
    if caller.user_id is not None:
        if caller.token is not None:
            _merge_guest_cart(session, caller.user_id, caller.token)
        return user_owner(caller.user_id)
    return guest_owner(caller.token) if caller.token is not None else None


def locked_cart(session: Session, owner: str | None) -> Cart | None:
    """The owner's cart, locked for this transaction (None if there is none)."""
    if owner is None:
        return None
    touched = session.execute(
        update(Cart).where(Cart.owner == owner).values(updated_at=now())
    ).rowcount
    return session.scalar(select(Cart).where(Cart.owner == owner)) if touched else None


def create_cart(session: Session, owner: str) -> Cart:
    at = now()
    # A concurrent request of the same owner may create it first; then that one is used.
    insert_if_absent(session, Cart, id=new_cart_id(), owner=owner, created_at=at, updated_at=at)
    cart = locked_cart(session, owner)
    assert cart is not None
    return cart


def _merge_guest_cart(session: Session, user_id: str, token: str) -> None:
    """Move a guest cart into the user's: quantities added (capped), the guest cart deleted.

    Deleting the guest cart in the same transaction is what makes a merge happen once.
    """
    guest = locked_cart(session, guest_owner(token))
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
    cart = locked_cart(session, owner) or create_cart(session, owner)
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
