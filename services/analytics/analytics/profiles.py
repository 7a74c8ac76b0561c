"""Shoppers' profiles, kept up to date as the order events arrive (in the consumer's
transaction, with the inbox row), and read as tags for the admin.

Each order moves its buyer's running totals once: ``profile_orders`` remembers what it
added, so an ``OrderCancelled`` heard after its ``OrderPlaced`` takes exactly that away,
and one heard before keeps it from being added. Every change is a conditional UPDATE or
an increment in the database, so two consumers (two topics) never lose one another's.
Categories record interest: an order's items count toward their products' categories even
when it is later cancelled (the same whichever event comes first); a product whose
category is not known yet counts once its ProductUpdated arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from analytics import profile_rules
from analytics.export_models import ImportedProfileTag
from analytics.insights_models import ProfileOrder, UserProductUnits, UserProfile
from analytics.models import ProductFact
from service_runtime.db import Database, insert_if_absent
from service_runtime.errors import NotFound


def _move(session: Session, user_id: str, sign: int, row: ProfileOrder | dict[str, Any],
          placed_at: datetime | None = None) -> None:
    """Add (``sign`` 1) or take away (-1) one order's figures from its buyer's totals."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    insert_if_absent(session, UserProfile, user_id=user_id, orders=0, spent=0, units=0)
    values: dict[str, Any] = {
        "orders": UserProfile.orders + sign,
        "spent": UserProfile.spent + sign * get("spent"),
        "units": UserProfile.units + sign * get("units")}
    if placed_at is not None:
        first, last = UserProfile.first_order_at, UserProfile.last_order_at
        values["first_order_at"] = case((first.is_(None) | (first > placed_at), placed_at),
                                        else_=first)
        values["last_order_at"] = case((last.is_(None) | (last < placed_at), placed_at),
                                       else_=last)
    session.execute(update(UserProfile).where(UserProfile.user_id == user_id).values(**values)
                    .execution_options(synchronize_session=False))


def order_placed(session: Session, data: dict[str, Any]) -> None:
    order_id, user_id = data["order_id"], data["user_id"]
    own = data["total"]["currency"] == profile_rules.PROFILE_CURRENCY
    figures = {"spent": data["total"]["amount"] if own else 0,
               "units": sum(line["quantity"] for line in data["lines"]) if own else 0}
    placed_at: datetime = data["placed_at"]
    if insert_if_absent(session, ProfileOrder, order_id=order_id, user_id=user_id, placed=True,
                        cancelled=False, counted=True, **figures):
        _move(session, user_id, 1, figures, placed_at)
    else:
        # Heard of before: a redelivery (placed already) or its cancellation came first.
        first_time = session.execute(
            update(ProfileOrder).where(ProfileOrder.order_id == order_id,
                                       ProfileOrder.placed.is_(False))
            .values(placed=True, **figures).returning(ProfileOrder.order_id)).first()
        if first_time is None:
            return
        # Cancelled already: the order counts as placed (its time) but adds nothing.
        _move(session, user_id, 0, figures, placed_at)
    _add_products(session, user_id, data["lines"])


def _add_products(session: Session, user_id: str, lines: list[dict[str, Any]]) -> None:
    units: dict[int, int] = {}
    for line in lines:
        if line.get("product_id") is not None:
            units[line["product_id"]] = units.get(line["product_id"], 0) + line["quantity"]
    for product_id, count in sorted(units.items()):  # one lock order across consumers
        if not insert_if_absent(session, UserProductUnits, user_id=user_id,
                                product_id=product_id, units=count):
            session.execute(update(UserProductUnits)
                            .where(UserProductUnits.user_id == user_id,
                                   UserProductUnits.product_id == product_id)
                            .values(units=UserProductUnits.units + count)
                            .execution_options(synchronize_session=False))


def order_cancelled(session: Session, data: dict[str, Any]) -> None:
    order_id, user_id = data["order_id"], data["user_id"]
    if insert_if_absent(session, ProfileOrder, order_id=order_id, user_id=user_id,
                        placed=False, cancelled=True, counted=False, spent=0, units=0):
        return  # before its OrderPlaced: that one will add nothing
    uncounted = session.execute(
        update(ProfileOrder).where(ProfileOrder.order_id == order_id,
                                   ProfileOrder.counted.is_(True))
        .values(cancelled=True, counted=False)
        .returning(ProfileOrder.spent, ProfileOrder.units)).first()
    if uncounted is not None:
        _move(session, user_id, -1, {"spent": uncounted.spent, "units": uncounted.units})


def profile(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """The user's totals and tags, read from their own rows (never from the history)."""
    with db.read() as session:
        row = session.get(UserProfile, user_id)
        if row is None:
            raise NotFound(f"no profile of user {user_id}")
        units = func.sum(UserProductUnits.units)
        categories = session.execute(
            select(ProductFact.category_id, units)
            .join(ProductFact, ProductFact.product_id == UserProductUnits.product_id)
            .where(UserProductUnits.user_id == user_id)
            .group_by(ProductFact.category_id)
            .order_by(units.desc(), ProductFact.category_id)
            .limit(profile_rules.PREFERRED_CATEGORIES)).all()
        totals = profile_rules.Totals(row.orders, row.spent, row.units, row.first_order_at,
                                      row.last_order_at)
        imported = {tag: value for tag, value in session.execute(
            select(ImportedProfileTag.tag, ImportedProfileTag.value)
            .where(ImportedProfileTag.user_id == user_id).order_by(ImportedProfileTag.tag))}
    return {"user_id": user_id, "orders": totals.orders, "spent": totals.spent,
            "currency": profile_rules.PROFILE_CURRENCY, "units": totals.units,
            "first_order_at": totals.first_order_at, "last_order_at": totals.last_order_at,
            "preferred_categories": [{"category_id": c, "units": int(u)}
                                     for c, u in categories],
            **profile_rules.tags(totals, now), "imported_tags": imported}
