"""Browsing: the product list with its facets, and autocomplete.

A page is one SELECT of plain columns (no ORM objects) that reads its sort's index from
where the cursor left off; a search first sums, per product, the weights of the query's
tokens it contains. The facets are one GROUP BY over all matches in the database,
remembered until the catalog changes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, union_all
from sqlalchemy.orm import Session

from catalog.categories import all_categories, subtree
from catalog.domain import PRICE_BUCKETS, Cursor, Sort, query_tokens, required_matches
from catalog.models import Category, Product, SearchToken, Sku
from service_runtime.db import Database

MAX_FACET_VALUES = 30


@dataclass(frozen=True)
class ProductSummary:
    """A product as lists show it."""

    id: int
    name: str
    brand: str
    category_id: int
    images: list[str]
    price_amount: int
    currency: str
    in_stock: bool
    sales_count: int
    rating_count: int
    rating_avg_x100: int
    created_at: datetime


SUMMARY_COLUMNS = (
    Product.id, Product.name, Product.brand, Product.category_id, Product.images,
    Product.price_amount, Product.currency,
    exists().where(Sku.product_id == Product.id, Sku.on_hand > Sku.reserved).label("in_stock"),
    Product.sales_count, Product.rating_count, Product.rating_avg_x100, Product.created_at,
)


@dataclass(frozen=True)
class BrandCount:
    brand: str
    count: int


@dataclass(frozen=True)
class CategoryCount:
    id: int
    name: str
    count: int


@dataclass(frozen=True)
class PriceBucket:
    min: int
    max: int | None
    count: int


@dataclass(frozen=True)
class Facets:
    brands: list[BrandCount] = field(default_factory=list)
    categories: list[CategoryCount] = field(default_factory=list)
    price_buckets: list[PriceBucket] = field(default_factory=list)


@dataclass(frozen=True)
class ProductPage:
    items: list[ProductSummary]
    facets: Facets
    next_cursor: str | None


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # brand, category or product
    id: int | None


@dataclass(frozen=True)
class ProductQuery:
    q: str | None = None
    category: int | None = None
    brand: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool | None = None
    sort: str = Sort.RELEVANCE
    cursor: str | None = None
    limit: int = 20

    def facet_key(self, tokens: list[str]) -> tuple:
        """What the facets depend on: the matches, not the sort or the page."""
        return (tuple(tokens), self.category, self.brand, self.price_min, self.price_max,
                self.in_stock)


_IN_STOCK = exists().where(Sku.product_id == Product.id, Sku.on_hand > Sku.reserved)


def _score_subquery(tokens: list[str]):  # type: ignore[no-untyped-def]
    """Products containing enough of the query's tokens, with the weight of what matched.

    One token's score is its weight: read best first off ``ix_search_tokens_lookup``, a
    page of it costs a page, however many products contain the token.
    """
    if len(tokens) == 1:
        return (
            select(SearchToken.product_id.label("product_id"),
                   SearchToken.weight.label("score"))
            .where(SearchToken.token == tokens[0])
            .subquery()
        )
    return (
        select(SearchToken.product_id.label("product_id"),
               func.sum(SearchToken.weight).label("score"))
        .where(SearchToken.token.in_(tokens))
        .group_by(SearchToken.product_id)
        .having(func.count() >= required_matches(len(tokens)))
        .subquery()
    )


def _conditions(session: Session, query: ProductQuery) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if query.category is not None:
        ids = subtree(all_categories(session), query.category)
        conditions["category"] = Product.category_id.in_(sorted(ids))
    if query.brand:
        conditions["brand"] = Product.brand == query.brand
    if query.price_min is not None:
        conditions["price_min"] = Product.price_amount >= query.price_min
    if query.price_max is not None:
        conditions["price_max"] = Product.price_amount <= query.price_max
    if query.in_stock is True:
        conditions["in_stock"] = _IN_STOCK
    elif query.in_stock is False:
        conditions["in_stock"] = ~_IN_STOCK
    return conditions


def _sort_column(sort: str, score):  # type: ignore[no-untyped-def]
    """(column, descending) of a sort; relevance without a query ranks by sales."""
    if sort == Sort.RELEVANCE and score is not None:
        return score, True
    return {
        Sort.RELEVANCE: (Product.sales_count, True),
        Sort.SALES: (Product.sales_count, True),
        Sort.PRICE_ASC: (Product.price_amount, False),
        Sort.PRICE_DESC: (Product.price_amount, True),
        Sort.NEWEST: (Product.created_at, True),
        Sort.RATING: (Product.rating_avg_x100, True),
    }[Sort(sort)]


def _cursor_value(value: Any) -> int | str:
    return value.isoformat() if isinstance(value, datetime) else int(value)


def search_products(db: Database, query: ProductQuery) -> ProductPage:
    """One page of products matching the query, the facets of all matches, the next cursor."""
    empty = ProductPage(items=[], facets=Facets(), next_cursor=None)
    with db.read() as session:
        tokens = query_tokens(query.q) if query.q else []
        if query.q and not tokens:
            return empty  # only punctuation: nothing can match
        scores = _score_subquery(tokens) if tokens else None
        conditions = _conditions(session, query)
        column, descending = _sort_column(query.sort, scores.c.score if scores is not None
                                          else None)
        rows = _page(session, query, scores, conditions, column, descending)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = None
        if more:
            next_cursor = Cursor(query.sort, _cursor_value(rows[-1].sort_value),
                                 rows[-1].id).encode()
        return ProductPage(
            items=[ProductSummary(*row[:-1]) for row in rows],
            facets=FACETS.get(db, session, query.facet_key(tokens),
                              lambda: _facets(session, scores, conditions, query.brand)),
            next_cursor=next_cursor,
        )


def _page(session: Session, query: ProductQuery, scores, conditions: dict[str, Any],  # type: ignore[no-untyped-def]
          column, descending: bool) -> list:
    """The page's rows (one more than the limit, to know whether another page follows).

    First the page's ids and sort values, by keyset on the sort's index (a search by
    relevance without filters never reads the products table for it); then the columns
    of just those products.
    """
    product_id = scores.c.product_id if scores is not None else Product.id
    ids = select(product_id.label("id"), column.label("sort_value"))
    if scores is not None:
        ids = ids.select_from(scores)
        if conditions or column is not scores.c.score:
            ids = ids.join(Product, Product.id == scores.c.product_id)
    ids = ids.where(*conditions.values())
    order = (column.desc() if descending else column.asc(), product_id.asc())
    size = query.limit + 1
    if query.cursor:
        # The rest of the last value's ties, then what lies beyond it: two index seeks.
        # (One OR of the two would make the database walk every tie before the cursor,
        # thousands where many products share a value, such as no sales yet.)
        cursor = Cursor.decode(query.cursor, query.sort)
        bound = cursor.bound()
        ties = ids.where(column == bound, product_id > cursor.last_id)
        beyond = ids.where(column < bound if descending else column > bound)
        both = union_all(*[select(part.order_by(*order).limit(size).subquery())
                           for part in (ties, beyond)]).subquery()
        found = select(both).order_by(both.c.sort_value.desc() if descending
                                      else both.c.sort_value.asc(), both.c.id.asc())
    else:
        found = ids.order_by(*order)
    page = found.limit(size).subquery()
    return list(session.execute(
        select(*SUMMARY_COLUMNS, page.c.sort_value)
        .join(page, page.c.id == Product.id)
        .order_by(page.c.sort_value.desc() if descending else page.c.sort_value.asc(),
                  page.c.id.asc())
    ).all())


def _facets(session: Session, scores, conditions: dict[str, Any],  # type: ignore[no-untyped-def]
            brand: str | None) -> Facets:
    """Counts over every match, from one GROUP BY (brand, category, price bucket) in the
    database. The brand facet ignores the brand filter, so other brands stay visible (and
    selectable) once one is chosen; the other facets count only the chosen brand."""
    bucket = case(
        *[(and_(Product.price_amount >= low, Product.price_amount < high) if high is not None
           else Product.price_amount >= low, index)
          for index, (low, high) in enumerate(PRICE_BUCKETS)],
        else_=0,
    ).label("bucket")
    groups = select(Product.brand, Product.category_id, bucket, func.count())
    if scores is not None:
        groups = groups.join(scores, scores.c.product_id == Product.id)
    groups = groups.where(*[c for name, c in conditions.items() if name != "brand"])
    rows = session.execute(groups.group_by(Product.brand, Product.category_id, bucket)).all()
    brands: dict[str, int] = defaultdict(int)
    categories: dict[int, int] = defaultdict(int)
    buckets: dict[int, int] = defaultdict(int)
    for row_brand, category_id, row_bucket, n in rows:
        brands[row_brand] += n
        if brand is None or row_brand == brand:
            categories[category_id] += n
            buckets[row_bucket] += n
    top_categories = sorted(categories.items(), key=lambda c: (-c[1], c[0]))[:MAX_FACET_VALUES]
    names = dict(session.execute(
        select(Category.id, Category.name).where(Category.id.in_([c for c, _ in top_categories]))
    ).all()) if top_categories else {}
    return Facets(
        brands=[BrandCount(b, n) for b, n in
                sorted(brands.items(), key=lambda b: (-b[1], b[0]))[:MAX_FACET_VALUES]],
        categories=[CategoryCount(c, names[c], n) for c, n in top_categories],
        price_buckets=[
            PriceBucket(low, high, buckets[index])
            for index, (low, high) in enumerate(PRICE_BUCKETS) if buckets.get(index)
        ],
    )


class FacetCache:
    """Facets already counted, per database and query, while the catalog is unchanged.

    The catalog's version is the latest ``updated_at`` of its products (an index lookup):
    every change that can move a count (a new product, an edit, a price, a stock move)
    sets it. While orders keep moving stock the version changes many times a second, so
    an answer is also kept for ``fresh_for`` seconds whatever the version: counts lag a
    change by at most that, and a busy catalog counts each query's facets at most once
    a second per process. A process keeps at most ``size`` answers and starts over when
    full.
    """

    def __init__(self, size: int = 512, fresh_for: float = 1.0) -> None:
        self.size = size
        self.fresh_for = fresh_for
        self._answers: dict[tuple, tuple[datetime | None, float, Facets]] = {}

    def get(self, db: Database, session: Session, key: tuple, count) -> Facets:  # type: ignore[no-untyped-def]
        entry = self._answers.get((db.url, key))
        now = time.monotonic()
        if entry is not None and now - entry[1] < self.fresh_for:
            return entry[2]
        version = session.scalar(select(func.max(Product.updated_at)))
        if entry is not None and entry[0] == version:
            self._answers[(db.url, key)] = (version, now, entry[2])
            return entry[2]
        facets = count()
        if len(self._answers) >= self.size:
            self._answers.clear()
        self._answers[(db.url, key)] = (version, now, facets)
        return facets


FACETS = FacetCache()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def suggest(db: Database, q: str, limit: int = 10) -> list[Suggestion]:
    """Autocomplete: brands and categories starting with (or containing) the text, then
    the best-matching product names."""
    text = q.strip()
    if not text:
        return []
    suggestions: list[Suggestion] = []
    with db.read() as session:
        prefix, anywhere = _like_escape(text) + "%", "%" + _like_escape(text) + "%"
        for brand in session.scalars(
            select(Product.brand).where(Product.brand.ilike(prefix, escape="\\"))
            .group_by(Product.brand).order_by(func.sum(Product.sales_count).desc()).limit(3)
        ):
            suggestions.append(Suggestion(brand, "brand", None))
        for category_id, name in session.execute(
            select(Category.id, Category.name)
            .where(or_(Category.name.ilike(anywhere, escape="\\"),
                       Category.name_en.ilike(prefix, escape="\\")))
            .order_by(Category.level.desc(), Category.id).limit(3)
        ):
            suggestions.append(Suggestion(name, "category", category_id))
        tokens = query_tokens(text)
        if tokens and len(suggestions) < limit:
            scores = _score_subquery(tokens)
            rows = session.execute(
                select(Product.id, Product.name).join(scores, scores.c.product_id == Product.id)
                .order_by(scores.c.score.desc(), Product.sales_count.desc(), Product.id)
                .limit(limit - len(suggestions))
            ).all()
            suggestions.extend(Suggestion(name, "product", pid) for pid, name in rows)
    return suggestions[:limit]
