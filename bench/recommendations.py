"""Benchmark the personal recommendations against the popularity baseline (hit-rate@10).

    .venv/bin/python bench/recommendations.py [--users 600] [--products 600] [--seed 14]

A generated shopping history: products in categories (a few brands each, a price, a
popularity within the category drawn from a Zipf law); users who each prefer one or two
categories; sessions of product views (mostly in a preferred category, drawn by
popularity there, sometimes anywhere) and, after some, an order of one or two of the
products viewed; and anonymous sessions beside them.

Everything is fed through the analytics service's own code on a fresh, migrated SQLite
database (a temporary file): ``ProductUpdated`` and ``OrderPlaced`` through the
consumer's handlers, views through the ``POST /track`` inserter and the worker's view
counter (``count_views``). Each user's last session (its views and its one-product order)
is held out: it is never fed. Then for each user, does the held-out product appear in

- **personal**: ``recs_read.for_user`` (the answer of ``GET /users/me/recommendations``);
- **popular**: the ten most popular products the user has not bought (``recs_read.popular``)?

Both hit-rates are printed, and their ratio. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from analytics.definition import DEFINITION
from analytics.handlers import handlers
from analytics.recommendations import count_views
from analytics.recs_read import for_product, for_user, popular
from analytics.tracking import inserter
from service_runtime.db import Database
from service_runtime.handlers import Event
from service_runtime.migrate import upgrade

K = 10


@dataclass
class Catalog:
    category: dict[int, int] = field(default_factory=dict)
    by_category: dict[int, list[int]] = field(default_factory=dict)
    weights: dict[int, list[float]] = field(default_factory=dict)


@dataclass
class Visit:
    user: str | None
    views: list[int]
    order: list[int]


def make_catalog(rng: random.Random, products: int, categories: int) -> tuple[Catalog, list]:
    catalog, updates = Catalog(), []
    for product_id in range(1, products + 1):
        category = rng.randrange(categories)
        catalog.category[product_id] = category
        catalog.by_category.setdefault(category, []).append(product_id)
        updates.append({"product_id": product_id, "name": f"product {product_id}",
                        "brand": f"brand {category}-{rng.randrange(4)}",
                        "category_id": 1000 + category, "category_path": [1000 + category],
                        "skus": [{"sku": f"SKU-{product_id}", "attributes": {}, "available": 9,
                                  "price": {"amount": rng.randrange(1000, 100000),
                                            "currency": "CNY"}}],
                        "updated_at": datetime(2026, 11, 1, tzinfo=UTC)})
    for category, members in catalog.by_category.items():
        rng.shuffle(members)  # the popularity order within the category: a Zipf law
        catalog.weights[category] = [1 / (rank + 1) for rank in range(len(members))]
    return catalog, updates


def visit(rng: random.Random, catalog: Catalog, user: str | None, likes: list[int],
          buy: bool) -> Visit:
    category = rng.choice(likes) if rng.random() < 0.9 else rng.choice(list(catalog.by_category))
    members, weights = catalog.by_category[category], catalog.weights[category]
    views = list(dict.fromkeys(rng.choices(members, weights, k=rng.randint(2, 7))))
    order = [] if not buy else rng.sample(views, 1)
    return Visit(user, views, order)


def history(rng: random.Random, catalog: Catalog, users: int) -> tuple[list[Visit], dict]:
    """Every visit in time order, and each user's held-out last visit."""
    fed, held = [], {}
    categories = list(catalog.by_category)
    for number in range(users):
        user = f"usr_{number}"
        likes = rng.sample(categories, rng.choice((1, 2)))
        visits = [visit(rng, catalog, user, likes, rng.random() < 0.5)
                  for _ in range(rng.randint(2, 8))]
        last = visit(rng, catalog, user, likes, True)
        fed.extend(visits)
        held[user] = last
        for _ in range(2):  # anonymous shoppers with the same tastes
            fed.append(visit(rng, catalog, None, likes, False))
    rng.shuffle(fed)
    return fed, held


def apply(session: Session, event_type: str, data: dict) -> None:
    """What the consumer does with an event (its handler, in its transaction)."""
    handlers.resolve(event_type, 1)(session, Event(
        id=str(uuid.uuid4()), type=event_type, version=1, source="bench",
        occurred_at=datetime.now(UTC), key="", correlation_id="bench", causation_id=None,
        data=data))


def feed(db: Database, updates: list[dict], visits: list[Visit]) -> None:
    with db.transaction() as session:
        for data in updates:
            apply(session, "ProductUpdated", data)
    now = datetime.now(UTC) - timedelta(hours=1)
    rows, insert = [], inserter(db)
    for number, seen in enumerate(visits):
        session_id = f"ses_{number}"
        rows.extend({"session_id": session_id, "event_id": str(n), "user_id": seen.user,
                     "type": "page_view", "name": None, "occurred_at": now, "received_at": now,
                     "path": None, "product_id": p, "props": None}
                    for n, p in enumerate(seen.views))
        if seen.order:
            with db.transaction() as session:
                apply(session, "OrderPlaced", order(session_id, seen, now))
    for start in range(0, len(rows), 1000):
        insert(rows[start:start + 1000])
    while count_views(db, datetime.now(UTC)):
        pass


def order(order_id: str, seen: Visit, at: datetime) -> dict:
    lines = [{"sku": f"SKU-{p}", "quantity": 1, "product_id": p,
              "unit_price": {"amount": 100, "currency": "CNY"}} for p in seen.order]
    return {"order_id": order_id, "user_id": seen.user, "lines": lines, "placed_at": at,
            "total": {"amount": 100 * len(lines), "currency": "CNY"}}


def evaluate(db: Database, held: dict[str, Visit], bought: dict[str, set[int]]) -> dict:
    hits = {"personal": 0, "popular": 0}
    started = time.perf_counter()
    for user, last in held.items():
        target = last.order[0]
        mine = [item["id"] for item in for_user(db, user, K)["items"]]
        hits["personal"] += target in mine
        with db.read() as session:
            hits["popular"] += target in popular(session, K, exclude=bought.get(user, set()))
    per_user_ms = (time.perf_counter() - started) * 1000 / len(held)
    return {name: count / len(held) for name, count in hits.items()} | {
        "ms_per_user": per_user_ms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--products", type=int, default=600)
    parser.add_argument("--categories", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    catalog, updates = make_catalog(rng, args.products, args.categories)
    visits, held = history(rng, catalog, args.users)
    bought: dict[str, set[int]] = {}
    for seen in visits:
        if seen.user and seen.order:
            bought.setdefault(seen.user, set()).update(seen.order)
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'analytics.db'}"
        upgrade(DEFINITION, url)
        db = Database(url)
        try:
            started = time.perf_counter()
            feed(db, updates, visits)
            fed_s = time.perf_counter() - started
            result = evaluate(db, held, bought)
            started = time.perf_counter()
            for product_id in range(1, args.products + 1):
                for_product(db, product_id, K)
            product_ms = (time.perf_counter() - started) * 1000 / args.products
        finally:
            db.dispose()
    views = sum(len(seen.views) for seen in visits)
    orders = sum(1 for seen in visits if seen.order)
    print(f"history: {args.users} users, {args.products} products in {args.categories} "
          f"categories, {len(visits)} sessions fed ({views} views, {orders} orders) "
          f"in {fed_s:.1f} s; each user's last purchase held out")
    print(f"| recommender | hit-rate@{K} |")
    print("|---|---|")
    print(f"| popularity (baseline) | {result['popular']:.3f} |")
    print(f"| personal (views, purchases, co-occurrence, categories) | "
          f"{result['personal']:.3f} |")
    ratio = result["personal"] / result["popular"] if result["popular"] else float("inf")
    print(f"personal / popularity: {ratio:.1f}x; reads: {result['ms_per_user']:.1f} ms per "
          f"user (both), {product_ms:.1f} ms per product page's recommendations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
