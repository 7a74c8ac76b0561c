"""``ProductUpdated.category_path``: the category's ids from the root down, on every way a
product is announced (one product, a bulk import, a stock move), read once per category
in a transaction."""

from sqlalchemy import event

from catalog.events import category_id_path, id_path, publish_stock_change
from catalog.importing import import_catalog
from catalog.products import create_product, update_product
from event_contracts.events.catalog import ProductUpdatedV1
from service_runtime.testing.plugin import outbox_events

CATEGORIES = [
    {"id": 1, "parent_id": None, "name": "家用电器", "name_en": "Home Appliances", "level": 1,
     "position": 0},
    {"id": 12, "parent_id": 1, "name": "厨房小电", "name_en": "Kitchen Appliances", "level": 2,
     "position": 0},
    {"id": 123, "parent_id": 12, "name": "电热水壶", "name_en": "Electric Kettles", "level": 3,
     "position": 0},
    {"id": 2, "parent_id": None, "name": "食品", "name_en": "Food", "level": 1, "position": 1},
]


def product(code: str, category_id: int = 123) -> dict:
    return {"name": f"Kettle {code}", "brand": "美的", "category_id": category_id,
            "skus": [{"sku": f"{code}-W", "attributes": {"colour": "white"},
                      "price": {"amount": 8900, "currency": "CNY"}, "stock": 3}]}


def announced(db) -> dict[str, list[dict]]:
    """Every ProductUpdated's data by product id, oldest first; each valid by the contract."""
    events: dict[str, list[dict]] = {}
    for envelope in outbox_events(db, "ProductUpdated"):
        assert ProductUpdatedV1().validate(envelope["data"]) == {}, envelope["data"]
        events.setdefault(envelope["key"], []).append(envelope["data"])
    return events


def count_category_reads(db):
    """The statements reading categories' parents (the walks up the tree)."""
    reads = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM categories" in statement and "parent_id" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    return reads, lambda: event.remove(db.engine, "before_cursor_execute", seen)


def test_the_path_runs_from_the_root_to_the_category():
    parents = {1: None, 12: 1, 123: 12, 2: None}
    assert id_path(parents, 123) == [1, 12, 123]
    assert id_path(parents, 2) == [2]
    assert len(id_path({5: 6, 6: 5}, 5)) == 10, "a cycle stops at the depth limit"


def test_a_product_created_or_changed_carries_its_category_path(db):
    import_catalog(db, CATEGORIES, [])
    kettle = create_product(db, product("ONE"))
    update_product(db, kettle.id, {"category_id": 2})
    first, changed = announced(db)[str(kettle.id)]
    assert (first["category_id"], first["category_path"]) == (123, [1, 12, 123])
    assert (changed["category_id"], changed["category_path"]) == (2, [2])


def test_an_imported_product_carries_the_same_path_as_one_created_alone(db):
    import_catalog(db, CATEGORIES, [])
    alone = create_product(db, product("ALONE"))
    reads, stop = count_category_reads(db)
    try:
        import_catalog(db, [], [product(f"BULK{i}") for i in range(20)]
                       + [product("TOP", category_id=1)])
    finally:
        stop()
    events = announced(db)
    paths = {data["name"]: data["category_path"] for [data] in events.values()}
    assert paths.pop("Kettle TOP") == [1]
    assert set(map(tuple, paths.values())) == {(1, 12, 123)}
    assert events[str(alone.id)][0]["category_path"] == [1, 12, 123]
    assert len(reads) == 1, "an import reads the category tree once, not per product"


def test_a_stock_move_announces_the_path_reading_each_category_once(db):
    import_catalog(db, CATEGORIES, [product("A"), product("B"), product("C", 2)])
    before = {key: len(data) for key, data in announced(db).items()}
    reads, stop = count_category_reads(db)
    try:
        with db.transaction() as session:
            publish_stock_change(session, ["A-W", "B-W", "C-W"])
            assert category_id_path(session, 123) == [1, 12, 123]
    finally:
        stop()
    events = announced(db)
    latest = sorted((data[-1]["name"], data[-1]["category_path"]) for data in events.values())
    assert latest == [("Kettle A", [1, 12, 123]), ("Kettle B", [1, 12, 123]),
                      ("Kettle C", [2])]
    assert all(len(events[key]) == count + 1 for key, count in before.items())
    # 123 -> 12 -> 1 (three reads) and 2 (one): the second kettle and the last call reuse.
    assert len(reads) == 4, reads
