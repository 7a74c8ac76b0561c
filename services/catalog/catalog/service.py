"""Catalog use cases: one function per command, one transaction each."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.domain import (
    BRAND,
    CATEGORY,
    DESCRIPTION,
    NAME,
    PRICE_BUCKETS,
    Cursor,
    Sort,
    merge_quantities,
    merge_tokens,
    query_tokens,
    required_matches,
)
from catalog.models import (
    Category,
    Product,
    Reservation,
    ReservationLine,
    RestockedReturn,
    SearchToken,
    Sku,
)
from service_runtime.db import Database
from service_runtime.errors import Conflict, InvalidInput, NotFound
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox

log = logging.getLogger(__name__)
outbox = Outbox("catalog")

MAX_FACET_VALUES = 30


class UnknownCategory(InvalidInput):
    slug, title = "unknown-category", "No such category"


class SkuTaken(Conflict):
    slug, title = "sku-taken", "A SKU with that code exists already"


class StockBelowReserved(Conflict):
    slug, title = "stock-below-reserved", "Stock cannot go below what open orders reserved"


# -- categories ---------------------------------------------------------------------


def _all_categories(session: Session) -> list[Category]:
    return list(session.scalars(
        select(Category).order_by(Category.level, Category.position, Category.id)
    ))


def category_tree(db: Database) -> list[dict]:
    with db.read() as session:
        categories = _all_categories(session)
    nodes = {
        c.id: {"id": c.id, "name": c.name, "name_en": c.name_en, "level": c.level,
               "children": []}
        for c in categories
    }
    roots = []
    for c in categories:
        (nodes[c.parent_id]["children"] if c.parent_id in nodes else roots).append(nodes[c.id])
    return roots


def _subtree(categories: Iterable[Category], root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for c in categories:
        children.setdefault(c.parent_id, []).append(c.id)
    found, todo = set(), [root]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def _path(session: Session, category_id: int) -> list[Category]:
    path: list[Category] = []
    current = session.get(Category, category_id)
    while current is not None and len(path) < 10:
        path.insert(0, current)
        current = session.get(Category, current.parent_id) if current.parent_id else None
    return path


# -- browsing and search ------------------------------------------------------------


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
        ids = _subtree(_all_categories(session), query.category)
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


def search_products(db: Database, query: ProductQuery) -> dict:
    """One page of products matching the query, the facets of all matches, the next cursor."""
    empty = {"items": [], "facets": {"brands": [], "categories": [], "price_buckets": []},
             "next_cursor": None}
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
        return {
            "items": [product for product, _ in rows],
            "facets": _facets(session, matching),
            "next_cursor": next_cursor,
        }


def _facets(session: Session, matching) -> dict:  # type: ignore[no-untyped-def]
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
    return {
        "brands": [{"brand": brand, "count": n} for brand, n in brands],
        "categories": [{"id": cid, "name": name, "count": n} for cid, name, n in categories],
        "price_buckets": [
            {"min": low, "max": high, "count": buckets[index]}
            for index, (low, high) in enumerate(PRICE_BUCKETS) if buckets.get(index)
        ],
    }


MAX_ID = 2**31 - 1


def get_product(db: Database, product_id: int) -> Product:
    """A product with its SKUs and ``category_path`` (the categories from the top down)."""
    if not 0 < product_id <= MAX_ID:
        raise NotFound(f"no product {product_id}")
    with db.read() as session:
        product = session.get(Product, product_id)
        if product is None:
            raise NotFound(f"no product {product_id}")
        product.category_path = _path(session, product.category_id)  # type: ignore[attr-defined]
        return product


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def suggest(db: Database, q: str, limit: int = 10) -> list[dict]:
    """Autocomplete: brands and categories starting with (or containing) the text, then
    the best-matching product names."""
    text = q.strip()
    if not text:
        return []
    suggestions: list[dict] = []
    with db.read() as session:
        prefix, anywhere = _like_escape(text) + "%", "%" + _like_escape(text) + "%"
        for brand in session.scalars(
            select(Product.brand).where(Product.brand.ilike(prefix, escape="\\"))
            .group_by(Product.brand).order_by(func.sum(Product.sales_count).desc()).limit(3)
        ):
            suggestions.append({"text": brand, "kind": "brand", "id": None})
        for category in session.scalars(
            select(Category).where(or_(Category.name.ilike(anywhere, escape="\\"),
                                       Category.name_en.ilike(prefix, escape="\\")))
            .order_by(Category.level.desc(), Category.id).limit(3)
        ):
            suggestions.append({"text": category.name, "kind": "category", "id": category.id})
        tokens = query_tokens(text)
        if tokens and len(suggestions) < limit:
            scores = _score_subquery(tokens)
            rows = session.execute(
                select(Product.id, Product.name).join(scores, scores.c.product_id == Product.id)
                .order_by(scores.c.score.desc(), Product.sales_count.desc(), Product.id)
                .limit(limit - len(suggestions))
            ).all()
            suggestions.extend({"text": name, "kind": "product", "id": pid} for pid, name in rows)
    return suggestions[:limit]


# -- administration -----------------------------------------------------------------


def _reindex(session: Session, product: Product) -> None:
    path = _path(session, product.category_id)
    tokens = merge_tokens([
        (product.name, NAME),
        (product.brand, BRAND),
        *[(f"{c.name} {c.name_en}", CATEGORY) for c in path],
        (product.description, DESCRIPTION),
        *[(" ".join(str(v) for v in sku.attributes.values()), DESCRIPTION)
          for sku in product.skus],
    ])
    session.execute(delete(SearchToken).where(SearchToken.product_id == product.id))
    if tokens:
        session.execute(insert(SearchToken), [
            {"token": token, "product_id": product.id, "weight": weight}
            for token, weight in tokens.items()
        ])


def _refresh_price(product: Product) -> None:
    cheapest = min(product.skus, key=lambda s: s.price_amount)
    product.price_amount, product.currency = cheapest.price_amount, cheapest.currency


def product_event(product: Product) -> dict:
    return {
        "product_id": product.id,
        "name": product.name,
        "brand": product.brand,
        "category_id": product.category_id,
        "skus": [
            {"sku": s.sku, "price": {"amount": s.price_amount, "currency": s.currency},
             "attributes": dict(s.attributes), "available": max(0, s.on_hand - s.reserved)}
            for s in product.skus
        ],
        "updated_at": product.updated_at.isoformat(),
    }


def _publish(session: Session, product: Product) -> None:
    session.flush()
    outbox.emit(session, "ProductUpdated", key=str(product.id), data=product_event(product))


def _publish_stock_change(session: Session, skus: Iterable[str]) -> None:
    """Stock moved (reserved, released, shipped): publish the products it belongs to.

    Keeps the copies other services hold (the cart's available stock) current. Each
    product gets a new ``updated_at`` so copies that apply newer-only take it.
    """
    product_ids = sorted(set(session.scalars(select(Sku.product_id).where(Sku.sku.in_(skus)))))
    at = now()
    for product_id in product_ids:  # in id order, so concurrent writers lock alike
        session.execute(update(Product).where(Product.id == product_id).values(updated_at=at)
                        .execution_options(synchronize_session=False))
    session.expire_all()  # the conditional updates bypassed the identity map
    for product in session.scalars(select(Product).where(Product.id.in_(product_ids))
                                   .order_by(Product.id)):
        _publish(session, product)


def _check_category(session: Session, category_id: int) -> None:
    if session.get(Category, category_id) is None:
        raise UnknownCategory(f"no category {category_id}", field="category_id")


def _check_skus_free(session: Session, codes: Sequence[str], product_id: int | None) -> None:
    if len(set(codes)) != len(codes):
        raise InvalidInput("SKU codes must be unique within a product")
    taken = sorted(sku.sku for sku in session.scalars(select(Sku).where(Sku.sku.in_(codes)))
                   if sku.product_id != product_id)
    if taken:
        raise SkuTaken(skus=taken)


def _add_product(session: Session, data: Mapping[str, Any], at: datetime) -> Product:
    _check_category(session, data["category_id"])
    _check_skus_free(session, [s["sku"] for s in data["skus"]], None)
    product = Product(
        name=data["name"], brand=data["brand"], description=data.get("description", ""),
        category_id=data["category_id"], images=list(data.get("images", [])),
        specs=dict(data.get("specs", {})), sales_count=data.get("sales_count", 0),
        rating_count=data.get("rating_count", 0),
        rating_avg_x100=data.get("rating_avg_x100", 0),
        rating_total=(data.get("rating_avg_x100", 0) * data.get("rating_count", 0) + 50) // 100,
        created_at=data.get("created_at", at), updated_at=at,
        skus=[
            Sku(sku=s["sku"], position=i, attributes=dict(s.get("attributes", {})),
                price_amount=s["price"]["amount"], currency=s["price"]["currency"],
                on_hand=s.get("stock", 0), reserved=0)
            for i, s in enumerate(data["skus"])
        ],
    )
    _refresh_price(product)
    session.add(product)
    session.flush()
    _reindex(session, product)
    _publish(session, product)
    return product


def create_product(db: Database, data: Mapping[str, Any]) -> Product:
    with db.transaction() as session:
        try:
            product = _add_product(session, data, now())
            session.flush()
        except IntegrityError as exc:  # a concurrent create took a SKU code first
            raise SkuTaken() from exc
    return product


def update_product(db: Database, product_id: int, changes: Mapping[str, Any]) -> Product:
    """Change what is given; SKUs listed are updated (price, attributes) or added."""
    with db.transaction() as session:
        product = session.get(Product, product_id) if 0 < product_id <= MAX_ID else None
        if product is None:
            raise NotFound(f"no product {product_id}")
        if "category_id" in changes:
            _check_category(session, changes["category_id"])
        for name in ("name", "brand", "description", "category_id"):
            if name in changes:
                setattr(product, name, changes[name])
        if "images" in changes:
            product.images = list(changes["images"])
        if "specs" in changes:
            product.specs = dict(changes["specs"])
        if "skus" in changes:
            codes = [s["sku"] for s in changes["skus"]]
            _check_skus_free(session, codes, product.id)
            existing = {s.sku: s for s in product.skus}
            for change in changes["skus"]:
                sku = existing.get(change["sku"])
                if sku is None:
                    if "price" not in change:
                        raise InvalidInput(f"a new SKU needs a price: {change['sku']}",
                                           field="skus.price")
                    sku = Sku(sku=change["sku"], position=len(product.skus), attributes={},
                              price_amount=0, currency="CNY", on_hand=0, reserved=0)
                    product.skus.append(sku)
                    existing[sku.sku] = sku
                if "price" in change:
                    sku.price_amount = change["price"]["amount"]
                    sku.currency = change["price"]["currency"]
                if "attributes" in change:
                    sku.attributes = dict(change["attributes"])
            _refresh_price(product)
        product.updated_at = now()
        session.flush()
        _reindex(session, product)
        _publish(session, product)
    return product


def set_stock(db: Database, sku_code: str, quantity: int) -> Sku:
    """Set what is on hand; never below what open orders reserved (checked by the update)."""
    with db.transaction() as session:
        changed = session.execute(
            update(Sku).where(Sku.sku == sku_code, Sku.reserved <= quantity)
            .values(on_hand=quantity).execution_options(synchronize_session=False)
        ).rowcount
        sku = session.get(Sku, sku_code, populate_existing=True)
        if sku is None:
            raise NotFound(f"no SKU {sku_code}")
        if changed != 1:
            raise StockBelowReserved(f"{sku.reserved} units of {sku_code} are reserved",
                                     reserved=sku.reserved)
        product = session.get(Product, sku.product_id)
        product.updated_at = now()
        _publish(session, product)
    return sku


def load_catalog(db: Database, categories: Sequence[Mapping[str, Any]],
                 products: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """Add the categories and products not there yet (a product is known by its first SKU).

    Returns (categories added, products added); running it again adds nothing.
    """
    added_categories = added_products = 0
    with db.transaction() as session:
        known = set(session.scalars(select(Category.id)))
        for c in categories:
            if c["id"] not in known:
                session.add(Category(**c))
                added_categories += 1
        session.flush()
        skus = set(session.scalars(select(Sku.sku)))
        at = now()
        for data in products:
            if data["skus"][0]["sku"] in skus:
                continue
            _add_product(session, data, at)
            skus.update(s["sku"] for s in data["skus"])
            added_products += 1
    return added_categories, added_products


# -- inventory reservations ---------------------------------------------------------


def reserve_order(session: Session, order_id: str, lines: Iterable[tuple[str, int]]) -> str:
    """``OrderPlaced``: reserve every line or none, and say which with an event.

    Each line is one conditional update (``reserved + n`` only while ``on_hand -
    reserved >= n``), so the database, not Python, decides who gets the last units;
    on PostgreSQL the second writer waits for the first and re-checks the condition.
    All lines run in a savepoint that is rolled back as soon as one fails. The
    reservation row (primary key = order id) makes a repeated event a no-op.
    Returns the reservation's status.
    """
    existing = session.get(Reservation, order_id)
    if existing is not None:
        return existing.status
    at = now()
    reservation = Reservation(order_id=order_id, status="reserved", created_at=at,
                              updated_at=at)
    session.add(reservation)
    session.flush()  # a concurrent duplicate fails here and is retried by the consumer
    merged = merge_quantities(lines)
    savepoint = session.begin_nested()
    failed = False
    for sku, quantity in merged:
        changed = session.execute(
            update(Sku)
            .where(Sku.sku == sku, Sku.on_hand - Sku.reserved >= quantity)
            .values(reserved=Sku.reserved + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            failed = True
            break
    if failed:
        savepoint.rollback()
        available = dict(session.execute(
            select(Sku.sku, Sku.on_hand - Sku.reserved).where(Sku.sku.in_([s for s, _ in merged]))
        ).all())
        reason = "unknown_sku" if len(available) < len(merged) else "insufficient_stock"
        reservation.status = "rejected"
        outbox.emit(session, "StockRejected", key=order_id, data={
            "order_id": order_id,
            "reason": reason,
            "lines": [{"sku": sku, "requested": quantity,
                       "available": max(0, available.get(sku, 0))}
                      for sku, quantity in merged],
            "rejected_at": at.isoformat(),
        })
        return reservation.status
    savepoint.commit()
    session.add_all(ReservationLine(order_id=order_id, sku=sku, quantity=quantity)
                    for sku, quantity in merged)
    outbox.emit(session, "StockReserved", key=order_id, data={
        "order_id": order_id,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in merged],
        "reserved_at": at.isoformat(),
    })
    _publish_stock_change(session, [sku for sku, _ in merged])
    return reservation.status


def release_order(session: Session, order_id: str) -> bool:
    """``OrderCancelled``: give back what the order reserved, once. True if stock returned.

    A cancellation that arrives before its order leaves a ``released`` row behind, so the
    late ``OrderPlaced`` reserves nothing.
    """
    at = now()
    if session.get(Reservation, order_id) is None:
        session.add(Reservation(order_id=order_id, status="released", created_at=at,
                                updated_at=at))
        session.flush()
        return False
    changed = session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == "reserved")
        .values(status="released", updated_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False  # rejected, already released or shipped
    lines = session.execute(
        select(ReservationLine.sku, ReservationLine.quantity)
        .where(ReservationLine.order_id == order_id).order_by(ReservationLine.sku)
    ).all()
    for sku, quantity in lines:
        returned = session.execute(
            update(Sku).where(Sku.sku == sku, Sku.reserved >= quantity)
            .values(reserved=Sku.reserved - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if returned != 1:
            raise RuntimeError(f"{sku} holds less than order {order_id} reserved")
    _publish_stock_change(session, [sku for sku, _ in lines])
    return True


def commit_order(session: Session, order_id: str) -> bool:
    """``Shipped``: the reserved units leave the warehouse (on hand and reserved both drop)
    and count as sales. Once; True if stock changed."""
    changed = session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == "reserved")
        .values(status="committed", updated_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False  # unknown to the catalog, rejected, released or committed already
    lines = session.execute(
        select(ReservationLine.sku, ReservationLine.quantity)
        .where(ReservationLine.order_id == order_id).order_by(ReservationLine.sku)
    ).all()
    for sku, quantity in lines:
        shipped = session.execute(
            update(Sku).where(Sku.sku == sku, Sku.reserved >= quantity)
            .values(reserved=Sku.reserved - quantity, on_hand=Sku.on_hand - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if shipped != 1:
            raise RuntimeError(f"{sku} holds less than order {order_id} reserved")
        session.execute(
            update(Product)
            .where(Product.id == select(Sku.product_id).where(Sku.sku == sku).scalar_subquery())
            .values(sales_count=Product.sales_count + quantity)
            .execution_options(synchronize_session=False)
        )
    _publish_stock_change(session, [sku for sku, _ in lines])
    return True


def reservation_status(db: Database, order_id: str) -> str | None:
    with db.read() as session:
        reservation = session.get(Reservation, order_id)
        return reservation.status if reservation else None


# -- after-sales --------------------------------------------------------------------


def add_rating(session: Session, product_id: int, rating: int) -> bool:
    """``ReviewPosted``: fold one rating into the product's count and average, in one
    UPDATE (both right-hand sides see the old row, so concurrent reviews cannot lose one).
    The average is the exact total over the count, x100, rounded half up. The inbox applies
    each review once; a product the catalog does not know is logged and skipped. True if a
    product changed.

    Nothing is published: ``ProductUpdated`` carries no rating.
    """
    changed = session.execute(
        update(Product).where(Product.id == product_id)
        .values(
            rating_count=Product.rating_count + 1,
            rating_total=Product.rating_total + rating,
            rating_avg_x100=((Product.rating_total + rating) * 100
                             + (Product.rating_count + 1) // 2) // (Product.rating_count + 1),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        log.warning("review of a product the catalog does not know; skipped",
                    extra={"product_id": product_id})
    return changed == 1


def restock_return(session: Session, return_id: str, lines: Iterable[tuple[str, int]]) -> int:
    """``ReturnReceived`` (return and refund): the goods are back on hand, one atomic
    ``on_hand + n`` per SKU, and the products' stock is published like any stock move.
    SKUs the catalog does not know are logged and skipped. Returns the units restocked.
    Once per return, whatever the event id: the return's row is written first (a concurrent
    duplicate fails on its key and is retried by the consumer, then finds it).
    """
    if session.get(RestockedReturn, return_id) is not None:
        return 0
    session.add(RestockedReturn(return_id=return_id, restocked_at=now()))
    session.flush()
    restocked: list[str] = []
    units = 0
    for sku, quantity in merge_quantities(lines):
        changed = session.execute(
            update(Sku).where(Sku.sku == sku).values(on_hand=Sku.on_hand + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            log.warning("returned goods of a SKU the catalog does not know; skipped",
                        extra={"sku": sku, "return_id": return_id})
            continue
        restocked.append(sku)
        units += quantity
    if restocked:
        _publish_stock_change(session, restocked)
    return units
