"""Recommendations, the writing side: counts kept as orders and views arrive.

- **Bought together:** an order's products, pairwise, counted in the consumer's
  transaction of its ``OrderPlaced`` (with the inbox row), once per order (``RecBasket``).
- **Viewed together:** the products viewed (``page_view`` or ``add_to_cart`` naming a
  product) in one session, pairwise. Behaviour events arrive through ``POST /track``,
  whose group commit answers clients only after its one INSERT; the counting is kept off
  that path by a worker job (:func:`count_views`) that reads ``behaviour_events`` past a
  cursor, a batch at a time, and counts each (session, product) once
  (``RecSessionProduct``), in one transaction with the cursor's move.
- **Popularity and profiles:** orders and viewing sessions per product, and per signed-in
  user and product (the personal recommendations' seeds), counted by the same two.

Bounded work: at most ``MAX_BASKET_PRODUCTS`` products of an order and
``MAX_SESSION_PRODUCTS`` of a session are paired (a session browsing hundreds of
products, a robot's, adds nothing beyond them), so one order or view costs at most that
many increments. The answers are read by ``analytics.recs_read``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from analytics.domain import EventType
from analytics.models import BehaviourEvent
from analytics.recs_models import (
    PairKind,
    RecBasket,
    RecCursor,
    RecPair,
    RecProduct,
    RecSessionProduct,
    RecUserProduct,
)
from service_runtime.db import Database, insert_if_absent
from service_runtime.ids import utcnow

MAX_BASKET_PRODUCTS = 20
MAX_SESSION_PRODUCTS = 20
VIEW_BATCH = 1000
# Events are read once they are this old (received; the cursor stops at the first younger
# one): a batch still being committed by /track (its ids taken, its rows not yet visible)
# is not passed over. A commit taking longer than this may be missed; the cost is a few
# view counts, never a wrong answer.
SETTLE = timedelta(seconds=5)
VIEW_TYPES = (EventType.PAGE_VIEW.value, EventType.ADD_TO_CART.value)
VIEWS_CURSOR = "views"


def order_placed(session: Session, data: dict[str, Any]) -> None:
    """Count an order's products as bought together, and as bought (by them, by its user)."""
    if not insert_if_absent(session, RecBasket, order_id=data["order_id"],
                            counted_at=utcnow()):
        return  # counted already
    products = list(dict.fromkeys(
        line["product_id"] for line in data["lines"] if line.get("product_id") is not None
    ))[:MAX_BASKET_PRODUCTS]
    pairs = Counter((p, q) for p in products for q in products if p != q)
    _add_pairs(session, PairKind.BOUGHT, pairs)
    _add(session, RecProduct, ["product_id"], "orders",
         {(p,): 1 for p in products})
    if data.get("user_id"):
        _add(session, RecUserProduct, ["user_id", "product_id"], "orders",
             {(data["user_id"], p): 1 for p in products})


def product_updated(session: Session, data: dict[str, Any]) -> None:
    """Keep a product's lowest SKU price (the newest event wins)."""
    skus = data.get("skus") or []
    if not skus:
        return
    cheapest = min((sku["price"] for sku in skus), key=lambda price: price["amount"])
    values = {"price": cheapest["amount"], "currency": cheapest["currency"],
              "price_at": data["updated_at"]}
    if insert_if_absent(session, RecProduct, product_id=data["product_id"], orders=0, views=0,
                        **values):
        return
    session.execute(update(RecProduct)
                    .where(RecProduct.product_id == data["product_id"],
                           or_(RecProduct.price_at.is_(None),
                               RecProduct.price_at < data["updated_at"]))
                    .values(**values)
                    .execution_options(synchronize_session=False))


def count_views(db: Database, at: datetime, batch: int = VIEW_BATCH) -> int:
    """Count the next batch of product views past the cursor; answers how many events it
    read (a full batch: more may be waiting). Safe on several replicas: the cursor moves
    by a conditional UPDATE, and only the replica whose UPDATE matched counts."""
    with db.transaction() as session:
        insert_if_absent(session, RecCursor, name=VIEWS_CURSOR, last_id=0, updated_at=at)
        last = session.scalar(select(RecCursor.last_id).where(RecCursor.name == VIEWS_CURSOR))
        rows = session.execute(
            select(BehaviourEvent.id, BehaviourEvent.session_id, BehaviourEvent.user_id,
                   BehaviourEvent.product_id, BehaviourEvent.received_at)
            .where(BehaviourEvent.id > last, BehaviourEvent.type.in_(VIEW_TYPES),
                   BehaviourEvent.product_id.is_not(None))
            .order_by(BehaviourEvent.id).limit(batch)).all()
        # Up to the first event not yet settled: the cursor never passes one (an id taken
        # by another process's INSERT may be received later than a higher one).
        settled = next((n for n, row in enumerate(rows) if row.received_at > at - SETTLE),
                       len(rows))
        rows = rows[:settled]
        if not rows:
            return 0
        moved = session.execute(
            update(RecCursor).where(RecCursor.name == VIEWS_CURSOR, RecCursor.last_id == last)
            .values(last_id=rows[-1].id, updated_at=at)
            .execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            return 0  # another replica took this batch
        views_seen(session, ((r.session_id, r.user_id, r.product_id) for r in rows))
        return len(rows)


def views_seen(session: Session, views: Iterable[tuple[str, str | None, int]]) -> None:
    """Count views (session, user or None, product) in order: a product new to its session
    (and the session not full) pairs with each product the session viewed before."""
    views = list(views)
    counted_at = utcnow()
    seen: dict[str, set[int]] = defaultdict(set)
    for session_id, product_id in session.execute(
            select(RecSessionProduct.session_id, RecSessionProduct.product_id)
            .where(RecSessionProduct.session_id.in_({v[0] for v in views}))):
        seen[session_id].add(product_id)
    pairs: Counter[tuple[int, int]] = Counter()
    products: Counter[tuple[int]] = Counter()
    users: Counter[tuple[str, int]] = Counter()
    for session_id, user_id, product_id in views:
        before = seen[session_id]
        if product_id in before or len(before) >= MAX_SESSION_PRODUCTS:
            continue
        if not insert_if_absent(session, RecSessionProduct, session_id=session_id,
                                product_id=product_id, counted_at=counted_at):
            continue  # counted by another transaction meanwhile
        for other in before:
            pairs[(product_id, other)] += 1
            pairs[(other, product_id)] += 1
        before.add(product_id)
        products[(product_id,)] += 1
        if user_id:
            users[(user_id, product_id)] += 1
    _add_pairs(session, PairKind.VIEWED, pairs)
    _add(session, RecProduct, ["product_id"], "views", products)
    _add(session, RecUserProduct, ["user_id", "product_id"], "views", users)


def _add_pairs(session: Session, kind: PairKind, pairs: Counter[tuple[int, int]]) -> None:
    _add(session, RecPair, ["kind", "product_id", "other_id"], "count",
         {(kind.value, p, q): n for (p, q), n in pairs.items()})


def _add(session: Session, model: Any, keys: list[str], column: str,
         increments: dict[tuple, int]) -> None:
    """Add to ``column`` of the rows keyed ``keys`` (made at 0 when missing), in one
    statement. Rows go in key order, so two transactions adding to the same rows on
    PostgreSQL lock them in the same order and cannot deadlock."""
    if not increments:
        return
    table = model.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    defaults = {c.name: 0 for c in table.columns
                if c.name not in keys and c.name in ("orders", "views", "count")}
    rows = [{**defaults, **dict(zip(keys, key, strict=True)), column: n}
            for key, n in sorted(increments.items())]
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={column: table.c[column] + statement.excluded[column]})
    session.execute(statement, rows)
