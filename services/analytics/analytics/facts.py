"""The facts of orders, payments, refunds and products, kept from the business events.

Events of different topics arrive in any order and more than once: an order's row is
made by whichever of its events comes first (``Projection.ensure``), each fact is written
once (``learn``), and a refund adds to its order only when its own row is new. Each
function runs in the consumer's transaction, with the inbox row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from analytics.models import OrderFact, OrderLineFact, ProductFact, RefundFact
from service_runtime.db import insert_if_absent
from service_runtime.projections import Projection

ORDERS = Projection(OrderFact, "order_id")


def line_amount(line: dict[str, Any]) -> int:
    """What the buyer pays for a line (orders priced before promotions carry no
    ``payable``: then its unit price times its quantity)."""
    payable = line.get("payable")
    if payable:
        return payable["amount"]
    return line["unit_price"]["amount"] * line["quantity"]


def order_placed(session: Session, data: dict[str, Any]) -> None:
    order_id = data["order_id"]
    discount = data.get("discount_total")
    ORDERS.ensure(session, order_id, user_id=data["user_id"],
                  currency=data["total"]["currency"], total=data["total"]["amount"],
                  discount=discount["amount"] if discount else 0)
    placed_at: datetime = data["placed_at"]
    placed_on = placed_at.astimezone(UTC).date()  # reports count whole UTC days
    if not ORDERS.learn(session, order_id, "placed_at", placed_at, placed_on=placed_on):
        return
    session.add_all(OrderLineFact(
        order_id=order_id, line_no=number, sku=line["sku"], product_id=line.get("product_id"),
        quantity=line["quantity"], amount=line_amount(line), placed_on=placed_on)
        for number, line in enumerate(data["lines"], start=1))


def order_paid(session: Session, data: dict[str, Any]) -> None:
    """The first confirmed payment counts (a second charge is refunded as a duplicate)."""
    ORDERS.ensure(session, data["order_id"], user_id=data["user_id"])
    ORDERS.learn(session, data["order_id"], "paid_at", data["confirmed_at"],
                 paid_amount=data["amount"]["amount"])


def order_cancelled(session: Session, data: dict[str, Any]) -> None:
    ORDERS.ensure(session, data["order_id"], user_id=data["user_id"])
    ORDERS.learn(session, data["order_id"], "cancelled_at", data["cancelled_at"])


def refund_issued(session: Session, data: dict[str, Any]) -> None:
    order_id = data["order_id"]
    ORDERS.ensure(session, order_id, user_id=data["user_id"])
    duplicate = bool(data.get("duplicate_payment"))
    new = insert_if_absent(session, RefundFact, refund_id=data["refund_id"], order_id=order_id,
                           amount=data["amount"]["amount"],
                           currency=data["amount"]["currency"],
                           duplicate_payment=duplicate, issued_at=data["issued_at"])
    if new and not duplicate:
        # An increment in the database: two refunds of one order on two consumers add up.
        session.execute(update(OrderFact).where(OrderFact.order_id == order_id)
                        .values(refunded=OrderFact.refunded + data["amount"]["amount"])
                        .execution_options(synchronize_session=False))


def product_updated(session: Session, data: dict[str, Any]) -> None:
    """The newest state wins: an older event arriving late changes nothing."""
    values = {"category_id": data["category_id"], "name": data["name"][:200],
              "brand": data["brand"][:100]}
    at = data["updated_at"]
    if insert_if_absent(session, ProductFact, product_id=data["product_id"], updated_at=at,
                        **values):
        return
    session.execute(update(ProductFact)
                    .where(ProductFact.product_id == data["product_id"],
                           ProductFact.updated_at < at)
                    .values(updated_at=at, **values)
                    .execution_options(synchronize_session=False))
