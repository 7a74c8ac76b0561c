"""The worker's handlers: the local catalog copy from ProductUpdated, bought lines leave."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cart.models import CatalogSku

CART, ITEMS = "/api/v1/cart", "/api/v1/cart/items"
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def copy_of(db, sku: str) -> tuple | None:
    with db.read() as session:
        row = session.scalar(select(CatalogSku).where(CatalogSku.sku == sku))
        if row is None:
            return None
        return (row.name, row.price_amount, row.currency, row.available, row.listed,
                row.updated_at)


def lines(client, headers) -> dict[str, int]:
    return {line["sku"]: line["quantity"]
            for line in client.get(CART, headers=headers).get_json()["lines"]}


# -- ProductUpdated -----------------------------------------------------------------


def test_a_product_update_fills_and_refreshes_the_local_copy(consumer, db, client, alice,
                                                             product_event):
    assert copy_of(db, "KETTLE") is None
    assert consumer.apply(product_event(1, "Kettle", ("KETTLE", 9900, 5), at=T0)) is True
    assert copy_of(db, "KETTLE") == ("Kettle", 9900, "CNY", 5, True, T0)

    client.post(ITEMS, json={"sku": "KETTLE", "quantity": 2}, headers=alice)
    later = T0 + timedelta(minutes=5)
    consumer.apply(product_event(1, "Kettle 2", ("KETTLE", 8900, 1), at=later))
    assert copy_of(db, "KETTLE") == ("Kettle 2", 8900, "CNY", 1, True, later)

    # The cart shows the new price and stock at once, without asking the catalog.
    [line] = client.get(CART, headers=alice).get_json()["lines"]
    assert (line["name"], line["unit_price"]["amount"], line["subtotal"]["amount"]) == (
        "Kettle 2", 8900, 17800)
    assert (line["available"], line["in_stock"]) == (1, False)


def test_an_older_event_arriving_late_changes_nothing(consumer, db, product_event):
    later = T0 + timedelta(hours=1)
    consumer.apply(product_event(1, "New name", ("KETTLE", 8000, 7), at=later))
    assert consumer.apply(product_event(1, "Old name", ("KETTLE", 9900, 50), at=T0)) is True
    assert copy_of(db, "KETTLE") == ("New name", 8000, "CNY", 7, True, later)


def test_a_duplicate_changes_nothing(consumer, db, product_event):
    event_id = str(uuid.uuid4())
    event = product_event(1, "Kettle", ("KETTLE", 9900, 5), at=T0, event_id=event_id)
    assert consumer.apply(event) is True
    assert consumer.apply(event) is False, "the inbox skips a redelivery"
    # Another event of the same moment (a replay re-published) is not newer either.
    assert consumer.apply(product_event(1, "Other", ("KETTLE", 1, 0), at=T0)) is True
    assert copy_of(db, "KETTLE") == ("Kettle", 9900, "CNY", 5, True, T0)


def test_a_sku_the_product_dropped_is_no_longer_for_sale(consumer, db, client, alice,
                                                         product_event):
    consumer.apply(product_event(2, "Mug", ("MUG", 2500, 10), ("MUG-RED", 2500, 10), at=T0))
    client.post(ITEMS, json={"sku": "MUG-RED", "quantity": 1}, headers=alice)
    consumer.apply(product_event(2, "Mug", ("MUG", 2500, 10), at=T0 + timedelta(minutes=1)))

    assert copy_of(db, "MUG-RED")[3:5] == (0, False)
    assert copy_of(db, "MUG")[3:5] == (10, True)
    [line] = client.get(CART, headers=alice).get_json()["lines"]
    assert (line["sku"], line["in_stock"]) == ("MUG-RED", False)
    refused = client.post(ITEMS, json={"sku": "MUG-RED", "quantity": 1}, headers=alice)
    assert refused.status_code == 422
    assert refused.get_json()["type"] == "urn:shop:problem:unknown-sku"
    # An older event naming it again does not bring it back.
    consumer.apply(product_event(2, "Mug", ("MUG", 2500, 10), ("MUG-RED", 2500, 10), at=T0))
    assert copy_of(db, "MUG-RED")[4] is False


# -- OrderPlaced --------------------------------------------------------------------


def test_an_order_takes_the_bought_quantities_out_of_the_buyers_cart_once(
        catalog, client, alice, bob, order_event):
    client.post(ITEMS, json={"sku": "MUG", "quantity": 5}, headers=alice)
    client.post(ITEMS, json={"sku": "KETTLE", "quantity": 1}, headers=alice)
    client.post(ITEMS, json={"sku": "MUG", "quantity": 4}, headers=bob)

    event = order_event("alice", ("MUG", 1), ("KETTLE", 1), ("MUG", 1))
    assert catalog.apply(event) is True
    assert lines(client, alice) == {"MUG": 3}, "KETTLE reached 0 and left"
    assert lines(client, bob) == {"MUG": 4}, "only the buyer's cart changes"

    assert catalog.apply(event) is False, "a redelivery is skipped by the inbox"
    assert lines(client, alice) == {"MUG": 3}


def test_buying_more_than_the_cart_held_removes_the_line(catalog, client, alice, order_event):
    client.post(ITEMS, json={"sku": "MUG", "quantity": 2}, headers=alice)
    client.post(ITEMS, json={"sku": "KETTLE", "quantity": 1}, headers=alice)
    assert catalog.apply(order_event("alice", ("MUG", 5), ("NOT-IN-CART", 1))) is True
    assert lines(client, alice) == {"KETTLE": 1}


def test_an_order_of_a_user_without_a_cart_is_fine(catalog, client, order_event):
    assert catalog.apply(order_event("nobody", ("MUG", 1))) is True
    assert catalog.apply(order_event("nobody", ("MUG", 1))) is True


def test_an_order_never_touches_guest_carts(catalog, client, order_event):
    added = client.post(ITEMS, json={"sku": "MUG", "quantity": 2})
    token = added.headers["X-Cart-Token"]
    catalog.apply(order_event("alice", ("MUG", 2)))
    assert lines(client, {"X-Cart-Token": token}) == {"MUG": 2}
