"""Recommendations, the reading side: a few indexed reads of the counts that
``analytics.recommendations`` keeps, ranked here in plain Python.

- ``for_product``: bought together and viewed together (the largest counts), and similar
  (same category; the same price band first, then the same brand, then the most popular).
  A product analytics has no facts of yet (new, or its ProductUpdated not yet heard) is
  answered, not refused: its "similar" are the most popular products, and ``fallback`` says
  so. Whether a product exists is the catalog's to say (the gateway's product page asks it
  first); analytics hears of products late, so it cannot tell an unknown one from a new one.
- ``for_user``: from the user's viewed and bought products (bought weigh more): their
  neighbours bought and viewed together, and the best sellers of the user's categories;
  products the user bought are left out. A user with no history gets the most popular.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.models import ProductFact
from analytics.recs_models import PairKind, RecPair, RecProduct, RecUserProduct
from service_runtime.db import Database
from service_runtime.money import money_json

SEEDS = 30  # the user's products considered, the most weighty
BOUGHT_WEIGHT = 3  # a purchase says more than a view
NEIGHBOURS = 1000  # pair rows read for a user's seeds
CATEGORIES = 3  # the user's categories whose best sellers are candidates
CATEGORY_DEPTH = 50
SIMILAR_CANDIDATES = 200


def for_product(db: Database, product_id: int, limit: int) -> dict[str, Any]:
    with db.read() as session:
        bought = _neighbours(session, PairKind.BOUGHT, product_id, limit)
        viewed = _neighbours(session, PairKind.VIEWED, product_id, limit)
        fact = session.get(ProductFact, product_id)
        if fact is None:
            similar, fallback = popular(session, limit, exclude={product_id}), True
        else:
            similar, fallback = _similar(session, fact, limit), False
        summaries = _summaries(session, [*bought, *viewed, *similar])
    return {"product_id": product_id, "fallback": fallback,
            "bought_together": [summaries[p] for p in bought],
            "viewed_together": [summaries[p] for p in viewed],
            "similar": [summaries[p] for p in similar]}


def for_user(db: Database, user_id: str, limit: int) -> dict[str, Any]:
    with db.read() as session:
        ranked = personal(session, user_id, limit)
        source = "personal"
        if len(ranked) < limit:  # too little history: popular products fill the list
            if not ranked:
                source = "popular"
            ranked += popular(session, limit - len(ranked),
                              exclude={*ranked, *_bought(session, user_id)})
        summaries = _summaries(session, ranked)
    return {"source": source, "items": [summaries[p] for p in ranked]}


def personal(session: Session, user_id: str, limit: int) -> list[int]:
    """The user's ranked product ids (at most ``limit``; none without a history)."""
    weights = {row.product_id: BOUGHT_WEIGHT * row.orders + row.views
               for row in session.execute(
                   select(RecUserProduct.product_id, RecUserProduct.orders, RecUserProduct.views)
                   .where(RecUserProduct.user_id == user_id)
                   .order_by((BOUGHT_WEIGHT * RecUserProduct.orders + RecUserProduct.views)
                             .desc(), RecUserProduct.product_id)
                   .limit(SEEDS))}
    if not weights:
        return []
    bought = _bought(session, user_id)
    # Neighbours: each seed's weight times log(1 + count), purchases together doubled.
    together: Counter[int] = Counter()
    for row in session.execute(
            select(RecPair.kind, RecPair.product_id, RecPair.other_id, RecPair.count)
            .where(RecPair.product_id.in_(weights))
            .order_by(RecPair.count.desc()).limit(NEIGHBOURS)):
        factor = 2.0 if row.kind == PairKind.BOUGHT else 1.0
        together[row.other_id] += weights[row.product_id] * factor * math.log1p(row.count)
    # Categories: the user's share of weight in each, times a best seller's rank there.
    by_category: Counter[int] = Counter()
    for product_id, category_id in session.execute(
            select(ProductFact.product_id, ProductFact.category_id)
            .where(ProductFact.product_id.in_(weights))):
        by_category[category_id] += weights[product_id]
    total = sum(by_category.values()) or 1
    category_score: Counter[int] = Counter()
    for category_id, weight in by_category.most_common(CATEGORIES):
        sellers = _best_sellers(session, category_id, CATEGORY_DEPTH)
        for rank, product_id in enumerate(sellers):
            category_score[product_id] += weight / total * (1 - rank / len(sellers))
    # Both scales to [0, 1], then added: either kind of evidence alone can rank.
    top = max(together.values(), default=0) or 1
    score: defaultdict[int, float] = defaultdict(float)
    for product_id, value in together.items():
        score[product_id] += value / top
    for product_id, value in category_score.items():
        score[product_id] += value
    ranked = sorted((p for p in score if p not in bought), key=lambda p: (-score[p], p))
    return ranked[:limit]


def _bought(session: Session, user_id: str) -> set[int]:
    return set(session.scalars(select(RecUserProduct.product_id).where(
        RecUserProduct.user_id == user_id, RecUserProduct.orders > 0)))


def popular(session: Session, limit: int, exclude: Iterable[int] = ()) -> list[int]:
    """The most ordered products, then the most viewed (the fallback of every list)."""
    exclude = set(exclude)
    ids = session.scalars(select(RecProduct.product_id)
                          .where(RecProduct.orders + RecProduct.views > 0)
                          .order_by(RecProduct.orders.desc(), RecProduct.views.desc(),
                                    RecProduct.product_id)
                          .limit(limit + len(exclude)))
    return [p for p in ids if p not in exclude][:limit]


def _best_sellers(session: Session, category_id: int, limit: int) -> list[int]:
    return list(session.scalars(
        select(ProductFact.product_id)
        .join(RecProduct, RecProduct.product_id == ProductFact.product_id)
        .where(ProductFact.category_id == category_id)
        .order_by(RecProduct.orders.desc(), RecProduct.views.desc(), ProductFact.product_id)
        .limit(limit)))


def _neighbours(session: Session, kind: PairKind, product_id: int, limit: int) -> list[int]:
    return list(session.scalars(
        select(RecPair.other_id)
        .where(RecPair.kind == kind.value, RecPair.product_id == product_id)
        .order_by(RecPair.count.desc(), RecPair.other_id).limit(limit)))


def _similar(session: Session, fact: ProductFact, limit: int) -> list[int]:
    """Same category: the same price band first (a shopper compares in a price range),
    then the same brand, then the most ordered and viewed."""
    own = session.get(RecProduct, fact.product_id)
    rows = session.execute(
        select(ProductFact.product_id, ProductFact.brand, RecProduct.price, RecProduct.currency,
               RecProduct.orders, RecProduct.views)
        .outerjoin(RecProduct, RecProduct.product_id == ProductFact.product_id)
        .where(ProductFact.category_id == fact.category_id,
               ProductFact.product_id != fact.product_id)
        .order_by(RecProduct.orders.desc().nulls_last(), ProductFact.product_id)
        .limit(SIMILAR_CANDIDATES)).all()

    def distance(row: Any) -> float:
        if own is None or own.price is None or not row.price or row.currency != own.currency:
            return math.inf  # an unknown price band ranks after every known one
        return abs(math.log(row.price / max(own.price, 1)))

    rows.sort(key=lambda row: (_band(distance(row)), row.brand != fact.brand,
                               -(row.orders or 0), -(row.views or 0), row.product_id))
    return [row.product_id for row in rows[:limit]]


def _band(distance: float) -> int:
    """Price bands by ratio: within 1.5x, within 3x, further, unknown."""
    if distance <= math.log(1.5):
        return 0
    return 1 if distance <= math.log(3) else 2 if distance != math.inf else 3


def _summaries(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """What analytics knows of each product (name, brand, category, lowest price); a
    product it has not heard of yet has its id only."""
    found: dict[int, dict[str, Any]] = {p: {"id": p} for p in ids}
    if not ids:
        return found
    for row in session.execute(
            select(ProductFact.product_id, ProductFact.name, ProductFact.brand,
                   ProductFact.category_id)
            .where(ProductFact.product_id.in_(set(ids)))):
        found[row.product_id].update(name=row.name, brand=row.brand, category_id=row.category_id)
    for row in session.execute(select(RecProduct.product_id, RecProduct.price,
                                      RecProduct.currency)
                               .where(RecProduct.product_id.in_(set(ids)),
                                      RecProduct.price.is_not(None))):
        found[row.product_id]["price"] = money_json(row.price, row.currency)
    return found
