"""Loading many products at once: the demo catalog, an admin's NDJSON file.

A product at a time through the ORM (a flush, a reindex, an event each) loads about a
hundred products a second. Here each chunk of products is a few multi-row INSERTs
(products with their new ids returned, SKUs, search tokens) and its events, in the
caller's one transaction, with the category paths' search text computed once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.domain import SkuTaken, UnknownCategory, product_tokens
from catalog.events import id_path, outbox, product_event_data
from catalog.models import Category, Product, Sku
from service_runtime.db import Database
from service_runtime.errors import InvalidInput, field_errors
from service_runtime.ids import utcnow as now

CHUNK = 1000
PARALLEL_CHUNKS = 2  # chunks written at once on PostgreSQL (one connection each)
MAX_IMPORT_LINES = 5000  # an uploaded file's products (one transaction); a CLI file's: any
_PRODUCTS = Product.__table__
_INSERT_PRODUCTS = insert(_PRODUCTS).returning(_PRODUCTS.c.id, sort_by_parameter_order=True)
_INSERT_SKUS = insert(Sku.__table__)


@dataclass(frozen=True)
class ImportResult:
    categories_added: int
    products_added: int
    products_skipped: int


def import_catalog(db: Database, categories: Sequence[Mapping[str, Any]],
                   products: Iterable[Mapping[str, Any]]) -> ImportResult:
    """Add the categories and products not there yet.

    A product is known by its first SKU: one whose first SKU exists is skipped, so
    importing the same products again adds nothing. Any other SKU code that is taken
    (or repeated) fails with ``SkuTaken``; an unknown category with ``UnknownCategory``.
    Each chunk of ``CHUNK`` products is one transaction (its products, SKUs, search
    tokens and events together), so a catalog of any size loads in bounded memory; when
    a chunk fails, the chunks before it stay, and importing again skips them.

    On PostgreSQL ``PARALLEL_CHUNKS`` chunks are written at once, each by its own
    connection: while the server writes one chunk's rows and index entries, this process
    builds the next one's (so a chunk near a failing one may stay too). SQLite takes one
    writer at a time, so there chunks go one after another.
    """
    with db.transaction() as session:
        categories_added = _add_categories(session, categories)
    with db.read() as session:
        paths = _category_paths(session)

    def import_chunk(chunk: list[Mapping[str, Any]]) -> int:
        try:
            with db.transaction() as session:
                return _import_chunk(session, chunk, paths, now())
        except IntegrityError as exc:  # another writer (or a chunk beside it) took a code
            raise SkuTaken() from exc

    added = skipped = 0
    products = iter(products)
    chunks = iter(lambda: list(islice(products, CHUNK)), [])
    workers = 1 if db.is_sqlite else PARALLEL_CHUNKS
    with ThreadPoolExecutor(workers, thread_name_prefix="import") as pool:
        # At most two chunks a writer are read ahead: memory stays bounded.
        for chunk, new in _in_order(pool, import_chunk, chunks, ahead=2 * workers):
            skipped += len(chunk) - new
            added += new
    if added:
        _refresh_statistics(db)
    return ImportResult(categories_added, added, skipped)


def _in_order(pool: ThreadPoolExecutor, work: Callable[[list[Any]], int],
              chunks: Iterator[list[Any]], ahead: int) -> Iterator[tuple[list[Any], int]]:
    """Each chunk with its result, ``ahead`` chunks submitted before the oldest is
    awaited; the first failure is raised once the chunks already running have ended."""
    running: deque[tuple[list[Any], Future[int]]] = deque()
    try:
        for chunk in chunks:
            running.append((chunk, pool.submit(work, chunk)))
            if len(running) >= ahead:
                oldest, done = running.popleft()
                yield oldest, done.result()
        while running:
            oldest, done = running.popleft()
            yield oldest, done.result()
    finally:
        for _, left in running:
            left.cancel()


def import_products(db: Database, products: Sequence[Mapping[str, Any]]) -> ImportResult:
    """An admin's product file (each product as ``POST /admin/products`` takes it), all or
    nothing: one transaction, so a file refused for a product in it leaves the catalog as
    it was. Products already there (by their first SKU) are skipped, so a file uploaded
    again adds nothing. A product in an unknown category fails with ``UnknownCategory``
    naming its line (field ``<line>.category_id`` in the body, lines counted from 1); any other SKU
    code that is taken or repeated with ``SkuTaken``."""
    at = now()
    with db.transaction() as session:
        paths = _category_paths(session)
        unknown = {str(line): {"category_id": [f"No category {data['category_id']}."]}
                   for line, data in enumerate(products, start=1)
                   if data["category_id"] not in paths}
        if unknown:
            raise UnknownCategory("products name categories that do not exist",
                                  errors=field_errors({"body": unknown}))
        try:
            added = sum(_import_chunk(session, list(products[start:start + CHUNK]), paths, at)
                        for start in range(0, len(products), CHUNK))
        except IntegrityError as exc:  # a concurrent import or create took a SKU code first
            raise SkuTaken() from exc
    if added:
        _refresh_statistics(db)
    return ImportResult(0, added, len(products) - added)


def _import_chunk(session: Session, chunk: list[Mapping[str, Any]],
                  paths: dict[int, CategoryPath], at: datetime) -> int:
    """Insert the chunk's new products (see :func:`_unknown`); how many were new."""
    new = _unknown(session, chunk)
    _insert_chunk(session, new, paths, at)
    return len(new)


def _refresh_statistics(db: Database) -> None:
    """Let the query planner see the catalog's new shape (how many products a category or
    a search token has), so that it reads a sort's index instead of sorting every match."""
    with db.transaction() as session:
        if db.is_sqlite:
            session.execute(text("ANALYZE"))
        else:
            session.execute(text("ANALYZE products, skus, search_tokens"))


def _add_categories(session: Session, categories: Sequence[Mapping[str, Any]]) -> int:
    known = set(session.scalars(select(Category.id)))
    new = [dict(c) for c in categories if c["id"] not in known]
    if new:
        session.execute(insert(Category.__table__), new)
    return len(new)


@dataclass(frozen=True)
class CategoryPath:
    """A category's ancestors from the top level down: their search text ("name name_en"
    each) and their ids (``ProductUpdated.category_path``)."""

    text: list[str]
    ids: list[int]


def _category_paths(session: Session) -> dict[int, CategoryPath]:
    """Every category's path, from one read of the tree for the whole import."""
    rows = {c.id: c for c in session.execute(
        select(Category.id, Category.parent_id, Category.name, Category.name_en))}
    parents = {category_id: row.parent_id for category_id, row in rows.items()}
    paths: dict[int, CategoryPath] = {}
    for category_id in rows:
        ids = id_path(parents, category_id)
        paths[category_id] = CategoryPath(
            [f"{rows[i].name} {rows[i].name_en}" for i in ids if i in rows], ids)
    return paths


def _unknown(session: Session, chunk: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The products of a chunk whose first SKU is new; the rest of their SKUs must be too."""
    codes = [s["sku"] for data in chunk for s in data["skus"]]
    taken = set(session.scalars(select(Sku.sku).where(Sku.sku.in_(codes))))
    new = [data for data in chunk if data["skus"][0]["sku"] not in taken]
    seen: set[str] = set()
    clashes = []
    for data in new:
        for s in data["skus"]:
            if s["sku"] in taken or s["sku"] in seen:
                clashes.append(s["sku"])
            seen.add(s["sku"])
    if clashes:
        raise SkuTaken(skus=sorted(set(clashes)))
    return new


def _insert_chunk(session: Session, chunk: list[Mapping[str, Any]],
                  paths: dict[int, CategoryPath], at: datetime) -> None:
    if not chunk:
        return
    for data in chunk:
        if data["category_id"] not in paths:
            raise UnknownCategory(f"no category {data['category_id']}", field="category_id")
        if not data["skus"]:
            raise InvalidInput("a product needs at least one SKU", field="skus")
    rows = [_product_row(data, at) for data in chunk]
    ids = session.execute(_INSERT_PRODUCTS, rows).scalars().all()
    skus, tokens = [], []
    for product_id, data in zip(ids, chunk, strict=True):
        skus.extend(
            {"sku": s["sku"], "product_id": product_id, "position": position,
             "attributes": dict(s.get("attributes", {})), "price_amount": s["price"]["amount"],
             "currency": s["price"]["currency"], "on_hand": s.get("stock", 0), "reserved": 0}
            for position, s in enumerate(data["skus"])
        )
        found_by = product_tokens(
            data["name"], data["brand"], paths[data["category_id"]].text,
            data.get("description", ""), [s.get("attributes", {}) for s in data["skus"]])
        tokens.extend((token, -weight, product_id) for token, weight in found_by.items())
    session.execute(_INSERT_SKUS, skus)
    tokens.sort()  # the lookup order, (token, weight DESC, product_id)
    _copy_rows(session, "search_tokens", ("token", "weight", "product_id"),
               [(token, -negated, product_id) for token, negated, product_id in tokens])
    _announce(session, ids, chunk, rows, paths, at)


def _announce(session: Session, ids: Sequence[int], chunk: list[Mapping[str, Any]],
              rows: list[dict[str, Any]], paths: dict[int, CategoryPath],
              at: datetime) -> None:
    outbox.emit_many(session, "ProductUpdated", [
        (str(product_id), product_event_data(
            product_id, row["name"], row["brand"], row["category_id"],
            [{"sku": s["sku"], "price": dict(s["price"]),
              "attributes": dict(s.get("attributes", {})), "available": s.get("stock", 0)}
             for s in data["skus"]],
            at, paths[row["category_id"]].ids,
        ))
        for product_id, data, row in zip(ids, chunk, rows, strict=True)
    ])


def _copy_rows(session: Session, table: str, columns: tuple[str, ...],
               rows: list[tuple]) -> None:
    """Plain rows into a table as fast as the driver can take them: COPY on PostgreSQL,
    one prepared INSERT on SQLite. The rows come sorted by the table's key, so each
    index is written in order. About a hundred search tokens per product make this
    the bulk of an import."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


def _product_row(data: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    cheapest = min(data["skus"], key=lambda s: s["price"]["amount"])
    rating_count = data.get("rating_count", 0)
    rating_avg_x100 = data.get("rating_avg_x100", 0)
    return {
        "name": data["name"], "brand": data["brand"],
        "description": data.get("description", ""), "category_id": data["category_id"],
        "images": list(data.get("images", [])), "specs": dict(data.get("specs", {})),
        "price_amount": cheapest["price"]["amount"], "currency": cheapest["price"]["currency"],
        "sales_count": data.get("sales_count", 0), "rating_count": rating_count,
        "rating_avg_x100": rating_avg_x100,
        "rating_total": (rating_avg_x100 * rating_count + 50) // 100,
        "created_at": data.get("created_at", at), "updated_at": at,
    }
