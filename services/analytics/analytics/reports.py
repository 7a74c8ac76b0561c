"""The admin's reports: sales and the purchase funnel, each one GROUP BY query in the
database (never every row pulled into Python), read in one read-only transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from analytics.domain import (
    EventType,
    FunnelStep,
    SalesGrouping,
    average,
    conversion,
    day_window,
)
from analytics.models import BehaviourEvent, OrderFact, OrderLineFact, ProductFact
from service_runtime.db import Database

FIGURES = ("orders", "gmv", "paid_orders", "paid", "refunded")


def _figures(row: Any) -> dict[str, int]:
    """A row's sums as integers (PostgreSQL sums BIGINTs as NUMERIC), with the average."""
    figures = {name: int(getattr(row, name) or 0) for name in FIGURES}
    figures["average_order_value"] = average(figures["gmv"], figures["orders"])
    return figures


def _order_figures() -> list[Any]:
    paid = OrderFact.paid_at.is_not(None)
    return [func.count().label("orders"),
            func.sum(OrderFact.total).label("gmv"),
            func.count(OrderFact.paid_at).label("paid_orders"),
            func.sum(case((paid, OrderFact.paid_amount), else_=0)).label("paid"),
            func.sum(OrderFact.refunded).label("refunded")]


def _line_figures() -> list[Any]:
    """By category or product, an order counts once per group; a refund of the order is
    shared among its lines pro rata to what each line cost (rounded down per line)."""
    line, order = OrderLineFact, OrderFact
    paid = order.paid_at.is_not(None)
    share = case((order.total > 0, line.amount * order.refunded // order.total), else_=0)
    return [func.count(line.order_id.distinct()).label("orders"),
            func.sum(line.amount).label("gmv"),
            func.count(case((paid, line.order_id)).distinct()).label("paid_orders"),
            func.sum(case((paid, line.amount), else_=0)).label("paid"),
            func.sum(share).label("refunded")]


def sales(db: Database, start: date, end: date, group_by: SalesGrouping, currency: str,
          limit: int) -> dict[str, Any]:
    """GMV, orders, paid, refunded and average order value of the orders placed from
    ``start`` to ``end`` (UTC days, both included), by day, category or product."""
    day_window(start, end)  # refuses a window that is backwards or too long
    placed = and_(OrderFact.placed_on >= start, OrderFact.placed_on <= end,
                  OrderFact.currency == currency)
    with db.read() as session:
        totals = session.execute(select(*_order_figures()).where(placed)).one()
        rows = [{**keys, **_figures(row)} for keys, row in
                _grouped(session, group_by, placed, start, end, limit)]
    return {"start": start, "end": end, "group_by": group_by.value, "currency": currency,
            "rows": rows, "totals": _figures(totals)}


def _grouped(session: Session, group_by: SalesGrouping, placed: Any, start: date, end: date,
             limit: int) -> list[tuple[dict[str, Any], Any]]:
    if group_by is SalesGrouping.DAY:
        query = (select(OrderFact.placed_on.label("day"), *_order_figures()).where(placed)
                 .group_by(OrderFact.placed_on).order_by(OrderFact.placed_on).limit(limit))
        return [({"day": row.day}, row) for row in session.execute(query)]
    lines = (select().select_from(OrderLineFact)
             .join(OrderFact, OrderFact.order_id == OrderLineFact.order_id)
             .where(OrderLineFact.placed_on >= start, OrderLineFact.placed_on <= end, placed))
    if group_by is SalesGrouping.CATEGORY:
        key = ProductFact.category_id
        lines = lines.outerjoin(ProductFact, ProductFact.product_id == OrderLineFact.product_id)
        name = "category_id"
    else:
        key, name = OrderLineFact.product_id, "product_id"
    gmv = func.sum(OrderLineFact.amount)
    query = (lines.add_columns(key.label("key"), *_line_figures()).group_by(key)
             .order_by(gmv.desc(), key).limit(limit))
    return [({name: row.key}, row) for row in session.execute(query)]


def funnel(db: Database, start: date, end: date) -> dict[str, Any]:
    """Signed-in users per step (product view -> add to cart -> order -> paid) within the
    window, and how many took each step and every one before it (in any order within
    the window), with the conversion from the step before."""
    since, until = day_window(start, end)
    event, order = BehaviourEvent, OrderFact

    def did(step: int, *where: Any) -> Any:
        return select(event.user_id.label("user_id"), literal_column(str(step)).label("step")) \
            .where(event.user_id.is_not(None), event.occurred_at >= since,
                   event.occurred_at < until, *where)

    def ordered(step: int, *where: Any) -> Any:
        return select(order.user_id.label("user_id"), literal_column(str(step)).label("step")) \
            .where(order.user_id.is_not(None), order.placed_at >= since,
                   order.placed_at < until, *where)

    steps = union_all(
        did(1, event.type == EventType.PAGE_VIEW.value, event.product_id.is_not(None)),
        did(2, event.type == EventType.ADD_TO_CART.value),
        ordered(3),
        ordered(4, order.paid_at.is_not(None)),
    ).subquery()
    flags = [func.max(case((steps.c.step == n, 1), else_=0)).label(f"s{n}") for n in (1, 2, 3, 4)]
    per_user = select(steps.c.user_id, *flags).group_by(steps.c.user_id).subquery()
    took = [per_user.c[f"s{n}"] for n in (1, 2, 3, 4)]
    reached = [took[0], took[0] * took[1], took[0] * took[1] * took[2],
               took[0] * took[1] * took[2] * took[3]]
    query = select(*(func.coalesce(func.sum(c), 0) for c in (*took, *reached)))
    with db.read() as session:
        sums = [int(value) for value in session.execute(query).one()]
    answer, previous = [], None
    for index, step in enumerate(FunnelStep):
        users, got = sums[index], sums[4 + index]
        answer.append({"step": step.value, "users": users, "reached": got,
                       "conversion": conversion(got, previous)})
        previous = got
    return {"start": start, "end": end, "steps": answer,
            "overall_conversion": conversion(answer[-1]["reached"], answer[0]["reached"])}
