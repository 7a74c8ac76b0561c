"""Browsing: the product list with its facets, one product, autocomplete."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from catalog.categories import all_categories, path_from_root, subtree
from catalog.domain import PRICE_BUCKETS, Cursor, Sort, query_tokens, required_matches
from catalog.models import Category, Product, SearchToken, Sku
from service_runtime.db import Database
from service_runtime.errors import NotFound

MAX_FACET_VALUES = 30


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
    items: list[Product]
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


_IN_STOCK = exists().where(Sku.product_id == Product.id, Sku.on_hand > Sku.reserved)


def _score_subquery(tokens: list[str]):  # type: ignore[no-untyped-def]
    """Products containing enough of the query's tokens, with the weight of what matched."""
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

        def matching(without: str | None = None):  # type: ignore[no-untyped-def]
            ids = select(Product.id)
            if scores is not None:
                ids = ids.join(scores, scores.c.product_id == Product.id)
            return ids.where(*[c for name, c in conditions.items() if name != without])

        column, descending = _sort_column(query.sort, scores.c.score if scores is not None
                                          else None)
        page = select(Product, column.label("sort_value"))
        if scores is not None:
            page = page.join(scores, scores.c.product_id == Product.id)
        page = page.where(*conditions.values())
        if query.cursor:
            cursor = Cursor.decode(query.cursor, query.sort)
            bound = cursor.bound()
            beyond = column < bound if descending else column > bound
            page = page.where(or_(beyond, and_(column == bound, Product.id > cursor.last_id)))
        page = page.order_by(column.desc() if descending else column.asc(), Product.id.asc())
        rows = session.execute(page.limit(query.limit + 1)).all()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = None
        if more:
            last, value = rows[-1]
            next_cursor = Cursor(query.sort, _cursor_value(value), last.id).encode()
        return ProductPage(
            items=[product for product, _ in rows],
            facets=_facets(session, matching),
            next_cursor=next_cursor,
        )


def _facets(session: Session, matching) -> Facets:  # type: ignore[no-untyped-def]
    """Counts over every match. The brand facet ignores the brand filter, so other brands
    stay visible (and selectable) once one is chosen."""
    count = func.count(Product.id)
    brands = session.execute(
        select(Product.brand, count).where(Product.id.in_(matching(without="brand")))
        .group_by(Product.brand).order_by(count.desc(), Product.brand).limit(MAX_FACET_VALUES)
    ).all()
    categories = session.execute(
        select(Category.id, Category.name, count)
        .join(Product, Product.category_id == Category.id)
        .where(Product.id.in_(matching()))
        .group_by(Category.id, Category.name)
        .order_by(count.desc(), Category.id).limit(MAX_FACET_VALUES)
    ).all()
    bucket = case(
        *[(and_(Product.price_amount >= low, Product.price_amount < high) if high is not None
           else Product.price_amount >= low, index)
          for index, (low, high) in enumerate(PRICE_BUCKETS)],
        else_=0,
    ).label("bucket")
    buckets = dict(session.execute(
        select(bucket, count).where(Product.id.in_(matching())).group_by(bucket)
    ).all())
    return Facets(
        brands=[BrandCount(brand, n) for brand, n in brands],
        categories=[CategoryCount(cid, name, n) for cid, name, n in categories],
        price_buckets=[
            PriceBucket(low, high, buckets[index])
            for index, (low, high) in enumerate(PRICE_BUCKETS) if buckets.get(index)
        ],
    )


MAX_ID = 2**31 - 1


def get_product(db: Database, product_id: int) -> Product:
    """A product with its SKUs and ``category_path`` (the categories from the top down)."""
    if not 0 < product_id <= MAX_ID:
        raise NotFound(f"no product {product_id}")
    with db.read() as session:
        product = session.get(Product, product_id)
        if product is None:
            raise NotFound(f"no product {product_id}")
        product.category_path = path_from_root(session, product.category_id)  # type: ignore[attr-defined]
        return product


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
        for category in session.scalars(
            select(Category).where(or_(Category.name.ilike(anywhere, escape="\\"),
                                       Category.name_en.ilike(prefix, escape="\\")))
            .order_by(Category.level.desc(), Category.id).limit(3)
        ):
            suggestions.append(Suggestion(category.name, "category", category.id))
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
