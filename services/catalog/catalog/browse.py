"""Browsing: the product list with its facets, and autocomplete.

A page is one SELECT of plain columns (no ORM objects) that reads its sort's index from
where the cursor left off; a search first sums, per product, the weights of the query's
tokens it contains. The facets are one GROUP BY over all matches in the database; they,
and the ranking of a search by relevance, are remembered while the catalog is unchanged
(see ``read_cache``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select, union_all
from sqlalchemy.orm import Session

from catalog.categories import all_categories, subtree
from catalog.domain import PRICE_BUCKETS, Cursor, Sort, query_tokens, required_matches
from catalog.models import Category, Product, SearchToken, Sku
from catalog.read_cache import CatalogCache
from service_runtime.db import Database

MAX_FACET_VALUES = 30
RANKED = 200  # how many of a search's best matches are kept ranked (ten pages of 20)
CACHE = CatalogCache()


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


def score_subquery(tokens: list[str]):  # type: ignore[no-untyped-def]
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
        scores = score_subquery(tokens) if tokens else None
        conditions = _conditions(session, query)
        column, descending = _sort_column(query.sort, scores.c.score if scores is not None
                                          else None)
        cursor = Cursor.decode(query.cursor, query.sort) if query.cursor else None
        if scores is not None and not conditions and column is scores.c.score:
            rows = _ranked_page(db, session, tokens, scores, cursor, query.limit + 1)
        else:
            rows = _page(session, cursor, query.limit + 1, scores, conditions, column,
                         descending)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = None
        if more:
            last, value = rows[-1]
            next_cursor = Cursor(query.sort, _cursor_value(value), last.id).encode()
        return ProductPage(
            items=[item for item, _ in rows],
            facets=CACHE.get(db, session, ("facets", *query.facet_key(tokens)),
                             lambda: _facets(session, scores, conditions, query.brand)),
            next_cursor=next_cursor,
        )


def _ranked_page(db: Database, session: Session, tokens: list[str], scores,  # type: ignore[no-untyped-def]
                 cursor: Cursor | None, size: int) -> list[tuple[ProductSummary, Any]]:
    """A search by relevance without filters: its first ``RANKED`` product ids by score,
    kept like the facets (scoring a common word means summing thousands of its
    postings), and each page's products read fresh, so stock and prices are live."""
    ranked = CACHE.get(db, session, ("ranking", *tokens), lambda: [
        (pid, score) for pid, score in session.execute(
            select(scores.c.product_id, scores.c.score)
            .order_by(scores.c.score.desc(), scores.c.product_id.asc()).limit(RANKED))])
    start = 0
    if cursor is not None:
        bound = cursor.bound()
        start = next((n for n, (pid, score) in enumerate(ranked)
                      if score < bound or (score == bound and pid > cursor.last_id)),
                     len(ranked))
    window = ranked[start: start + size]
    if len(window) < size and len(ranked) == RANKED:  # paged beyond what was kept
        column = scores.c.score
        return _page(session, cursor, size, scores, {}, column, True)
    found = {row.id: ProductSummary(*row) for row in session.execute(
        select(*SUMMARY_COLUMNS).where(Product.id.in_([pid for pid, _ in window])))}
    return [(found[pid], score) for pid, score in window if pid in found]


def _page(session: Session, cursor: Cursor | None, size: int, scores,  # type: ignore[no-untyped-def]
          conditions: dict[str, Any], column, descending: bool,
          ) -> list[tuple[ProductSummary, Any]]:
    """The page's products with their sort values (``size`` is one more than the limit,
    to know whether another page follows).

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
    if cursor is not None:
        # The rest of the last value's ties, then what lies beyond it: two index seeks.
        # (One OR of the two would make the database walk every tie before the cursor,
        # thousands where many products share a value, such as no sales yet.)
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
    return [(ProductSummary(*row[:-1]), row[-1]) for row in session.execute(
        select(*SUMMARY_COLUMNS, page.c.sort_value)
        .join(page, page.c.id == Product.id)
        .order_by(page.c.sort_value.desc() if descending else page.c.sort_value.asc(),
                  page.c.id.asc())
    )]


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
