"""The cart API through the Flask test client, on a real database."""

import pytest
from sqlalchemy import select

from cart.domain import new_cart_token
from cart.models import Cart, CartLine

CART, ITEMS = "/api/v1/cart", "/api/v1/cart/items"


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:shop:problem:{slug}"
    return body


def lines(body: dict) -> dict[str, int]:
    return {line["sku"]: line["quantity"] for line in body["lines"]}


def snapshot(db) -> tuple:
    """Every cart and line in the database."""
    with db.read() as session:
        carts = sorted(session.scalars(select(Cart.owner)))
        rows = sorted(tuple(row) for row in session.execute(
            select(CartLine.cart_id, CartLine.sku, CartLine.quantity)))
        return carts, rows


def guest(token: str) -> dict:
    return {"X-Cart-Token": token}


def new_guest_cart(client, *items: tuple[str, int]) -> str:
    response = client.post(ITEMS, json={"sku": items[0][0], "quantity": items[0][1]})
    assert response.status_code == 200, response.get_json()
    token = response.headers["X-Cart-Token"]
    for sku, quantity in items[1:]:
        assert client.post(ITEMS, json={"sku": sku, "quantity": quantity},
                           headers=guest(token)).status_code == 200
    return token


# -- guests -------------------------------------------------------------------------


def test_a_guest_gets_a_token_with_the_first_item_and_keeps_using_it(client, catalog, db):
    response = client.post(ITEMS, json={"sku": "MUG", "quantity": 2})
    assert response.status_code == 200, response.get_json()
    token = response.headers["X-Cart-Token"]
    assert response.get_json()["cart_token"] == token
    assert len(token) == 43
    line = response.get_json()["lines"][0]
    assert line == {"sku": "MUG", "name": "马克杯 Mug", "attributes": {"colour": "white"},
                    "quantity": 2, "unit_price": {"amount": 2500, "currency": "CNY"},
                    "subtotal": {"amount": 5000, "currency": "CNY"}, "available": 100,
                    "in_stock": True, "added_at": line["added_at"]}

    again = client.post(ITEMS, json={"sku": "MUG", "quantity": 3}, headers=guest(token))
    assert again.status_code == 200
    assert "X-Cart-Token" not in again.headers
    assert lines(again.get_json()) == {"MUG": 5}

    seen = client.get(CART, headers=guest(token)).get_json()
    assert lines(seen) == {"MUG": 5} and seen["cart_token"] == token
    # The database holds a hash of the token, never the token.
    carts, _ = snapshot(db)
    assert len(carts) == 1 and token not in carts[0]


def test_a_guest_changes_and_removes_lines(client, catalog):
    token = new_guest_cart(client, ("MUG", 2), ("KETTLE", 1))
    changed = client.patch(f"{ITEMS}/MUG", json={"quantity": 7}, headers=guest(token))
    assert changed.status_code == 200, changed.get_json()
    assert lines(changed.get_json()) == {"MUG": 7, "KETTLE": 1}

    removed = client.delete(f"{ITEMS}/KETTLE", headers=guest(token))
    assert removed.status_code == 200
    assert lines(removed.get_json()) == {"MUG": 7}
    assert lines(client.get(CART, headers=guest(token)).get_json()) == {"MUG": 7}

    problem(client.delete(f"{ITEMS}/KETTLE", headers=guest(token)), 404, "not-found")
    problem(client.patch(f"{ITEMS}/KETTLE", json={"quantity": 1}, headers=guest(token)),
            404, "not-found")


def test_without_any_identity_the_cart_is_empty_and_nothing_is_created(client, catalog, db):
    body = client.get(CART).get_json()
    assert body == {"lines": [], "totals": {
        "items": 0, "subtotal": {"amount": 0, "currency": "CNY"},
        "shipping_estimate": {"amount": 0, "currency": "CNY"},
        "total": {"amount": 0, "currency": "CNY"}}}
    problem(client.patch(f"{ITEMS}/MUG", json={"quantity": 1}), 404, "not-found")
    problem(client.delete(f"{ITEMS}/MUG"), 404, "not-found")
    assert snapshot(db) == ([], [])


def test_a_malformed_cart_token_is_a_problem(client, catalog, db):
    for bad in ["short", "x" * 44, "a" * 42 + "="]:
        problem(client.get(CART, headers=guest(bad)), 400, "invalid-cart-token")
        problem(client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=guest(bad)),
                400, "invalid-cart-token")
    assert snapshot(db) == ([], [])


def test_an_unknown_token_is_an_empty_cart_and_a_new_cart_gets_a_fresh_token(client, catalog):
    unknown = new_cart_token()
    body = client.get(CART, headers=guest(unknown)).get_json()
    assert body["lines"] == [] and body["totals"]["items"] == 0
    added = client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=guest(unknown))
    issued = added.headers["X-Cart-Token"]
    assert issued != unknown, "a client never chooses its own cart token"
    assert client.get(CART, headers=guest(unknown)).get_json()["lines"] == []
    assert lines(client.get(CART, headers=guest(issued)).get_json()) == {"MUG": 1}


# -- totals -------------------------------------------------------------------------


def test_totals_and_the_shipping_estimate(client, catalog):
    token = new_guest_cart(client, ("MUG", 2))
    totals = client.get(CART, headers=guest(token)).get_json()["totals"]
    assert totals == {"items": 2, "subtotal": {"amount": 5000, "currency": "CNY"},
                      "shipping_estimate": {"amount": 1000, "currency": "CNY"},
                      "total": {"amount": 6000, "currency": "CNY"}}

    client.post(ITEMS, json={"sku": "KETTLE", "quantity": 1}, headers=guest(token))
    totals = client.get(CART, headers=guest(token)).get_json()["totals"]
    assert totals["items"] == 3
    assert totals["subtotal"]["amount"] == 14900
    assert totals["shipping_estimate"]["amount"] == 0
    assert totals["total"]["amount"] == 14900

    client.delete(f"{ITEMS}/MUG", headers=guest(token))
    totals = client.get(CART, headers=guest(token)).get_json()["totals"]
    assert (totals["subtotal"]["amount"], totals["shipping_estimate"]["amount"]) == (9900, 0)


# -- signed in, merging, isolation --------------------------------------------------


def test_a_signed_in_user_has_a_cart_of_their_own(client, catalog, alice):
    added = client.post(ITEMS, json={"sku": "KETTLE", "quantity": 2}, headers=alice)
    assert added.status_code == 200
    assert "X-Cart-Token" not in added.headers and "cart_token" not in added.get_json()
    assert lines(client.get(CART, headers=alice).get_json()) == {"KETTLE": 2}


def test_an_invalid_bearer_token_is_refused(client, catalog, db):
    problem(client.get(CART, headers={"Authorization": "Bearer not.a.token"}), 401,
            "unauthorized")
    problem(client.post(ITEMS, json={"sku": "MUG", "quantity": 1},
                        headers={"Authorization": "Bearer not.a.token"}), 401, "unauthorized")
    assert snapshot(db) == ([], [])


def test_the_guest_cart_merges_into_the_users_cart_once(client, catalog, alice, db):
    client.post(ITEMS, json={"sku": "MUG", "quantity": 98}, headers=alice)
    token = new_guest_cart(client, ("MUG", 2), ("KETTLE", 1))

    merged = client.get(CART, headers={**alice, **guest(token)})
    assert merged.status_code == 200
    assert lines(merged.get_json()) == {"MUG": 99, "KETTLE": 1}, "added, capped at 99"
    assert "cart_token" not in merged.get_json()
    assert client.get(CART, headers=guest(token)).get_json()["lines"] == []

    again = client.get(CART, headers={**alice, **guest(token)})
    assert lines(again.get_json()) == {"MUG": 99, "KETTLE": 1}
    carts, _ = snapshot(db)
    assert carts == ["user:alice"], "the guest cart is gone"


def test_the_first_signed_in_request_may_be_a_change(client, catalog, alice):
    token = new_guest_cart(client, ("MUG", 2))
    both = {**alice, **guest(token)}
    added = client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=both)
    assert added.status_code == 200
    assert lines(added.get_json()) == {"MUG": 3}
    again = client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=both)
    assert lines(again.get_json()) == {"MUG": 4}, "the guest's 2 merged only once"


def test_a_failed_command_does_not_merge_either(client, catalog, alice):
    token = new_guest_cart(client, ("MUG", 2))
    problem(client.post(ITEMS, json={"sku": "NOPE", "quantity": 1},
                        headers={**alice, **guest(token)}), 422, "unknown-sku")
    assert lines(client.get(CART, headers=guest(token)).get_json()) == {"MUG": 2}
    assert client.get(CART, headers=alice).get_json()["lines"] == []


def test_one_user_never_sees_or_changes_anothers_cart(client, catalog, alice, bob):
    client.post(ITEMS, json={"sku": "MUG", "quantity": 3}, headers=alice)
    assert client.get(CART, headers=bob).get_json()["lines"] == []
    problem(client.patch(f"{ITEMS}/MUG", json={"quantity": 1}, headers=bob), 404, "not-found")
    problem(client.delete(f"{ITEMS}/MUG", headers=bob), 404, "not-found")
    client.post(ITEMS, json={"sku": "MUG", "quantity": 1}, headers=bob)
    assert lines(client.get(CART, headers=alice).get_json()) == {"MUG": 3}
    assert lines(client.get(CART, headers=bob).get_json()) == {"MUG": 1}
    # A guest, with or without a token, never reaches a user's cart.
    assert client.get(CART).get_json()["lines"] == []
    assert client.get(CART, headers=guest(new_cart_token())).get_json()["lines"] == []


# -- refused input changes nothing -------------------------------------------------


def test_an_unknown_sku_is_refused(client, catalog, db):
    token = new_guest_cart(client, ("MUG", 1))
    before = snapshot(db)
    body = problem(client.post(ITEMS, json={"sku": "NO-SUCH-SKU", "quantity": 1},
                               headers=guest(token)), 422, "unknown-sku")
    assert body["sku"] == "NO-SUCH-SKU"
    problem(client.post(ITEMS, json={"sku": "NO-SUCH-SKU", "quantity": 1}), 422, "unknown-sku")
    assert snapshot(db) == before


@pytest.mark.parametrize("body", [
    {"sku": "MUG", "quantity": 0},
    {"sku": "MUG", "quantity": -1},
    {"sku": "MUG", "quantity": 100},
    {"sku": "MUG", "quantity": "2"},
    {"sku": "MUG", "quantity": 1.5},
    {"sku": "MUG", "quantity": True},
    {"sku": "MUG"},
    {"quantity": 1},
    {"sku": "", "quantity": 1},
    {"sku": "x" * 65, "quantity": 1},
    {"sku": "MUG; DROP", "quantity": 1},
    {"sku": "MUG", "quantity": 1, "price": {"amount": 1, "currency": "CNY"}},
    ["MUG", 1],
])
def test_bad_input_is_a_validation_problem_and_changes_nothing(client, catalog, db, body):
    token = new_guest_cart(client, ("MUG", 1))
    before = snapshot(db)
    response = client.post(ITEMS, json=body, headers=guest(token))
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert response.get_json()["errors"]
    assert snapshot(db) == before


@pytest.mark.parametrize("body", [{"quantity": 0}, {"quantity": 100}, {"quantity": "3"}, {},
                                  {"quantity": 2, "sku": "KETTLE"}])
def test_bad_changes_are_refused(client, catalog, db, body):
    token = new_guest_cart(client, ("MUG", 1))
    before = snapshot(db)
    problem(client.patch(f"{ITEMS}/MUG", json=body, headers=guest(token)), 422,
            "validation-error")
    assert snapshot(db) == before


def test_more_than_is_available_is_a_conflict(client, catalog, db):
    token = new_guest_cart(client, ("KETTLE", 4))
    before = snapshot(db)
    body = problem(client.post(ITEMS, json={"sku": "KETTLE", "quantity": 2},
                               headers=guest(token)), 409, "insufficient-stock")
    assert (body["available"], body["requested"]) == (5, 6)
    problem(client.patch(f"{ITEMS}/KETTLE", json={"quantity": 6}, headers=guest(token)),
            409, "insufficient-stock")
    problem(client.post(ITEMS, json={"sku": "MUG-RED", "quantity": 1}, headers=guest(token)),
            409, "insufficient-stock")
    assert snapshot(db) == before
    ok = client.patch(f"{ITEMS}/KETTLE", json={"quantity": 5}, headers=guest(token))
    assert lines(ok.get_json()) == {"KETTLE": 5}


def test_a_line_holds_at_most_99(client, catalog, db):
    token = new_guest_cart(client, ("MUG", 60))
    before = snapshot(db)
    problem(client.post(ITEMS, json={"sku": "MUG", "quantity": 40}, headers=guest(token)),
            422, "quantity-limit")
    assert snapshot(db) == before
    ok = client.post(ITEMS, json={"sku": "MUG", "quantity": 39}, headers=guest(token))
    assert lines(ok.get_json()) == {"MUG": 99}


def test_a_cart_holds_at_most_50_lines(client, consumer, db, product_event):
    consumer.apply(product_event(9, "Many", *[(f"SKU-{i:02d}", 100, 10) for i in range(51)]))
    token = new_guest_cart(client, *[(f"SKU-{i:02d}", 1) for i in range(50)])
    before = snapshot(db)
    problem(client.post(ITEMS, json={"sku": "SKU-50", "quantity": 1}, headers=guest(token)),
            422, "too-many-lines")
    assert snapshot(db) == before
    more = client.post(ITEMS, json={"sku": "SKU-00", "quantity": 1}, headers=guest(token))
    assert more.status_code == 200, "an existing line may still grow"


def test_one_currency_per_cart(client, catalog, db):
    token = new_guest_cart(client, ("MUG", 1))
    before = snapshot(db)
    problem(client.post(ITEMS, json={"sku": "USD-THING", "quantity": 1}, headers=guest(token)),
            422, "currency-mismatch")
    assert snapshot(db) == before


def test_an_oversized_body_is_refused(client, catalog, db):
    token = new_guest_cart(client, ("MUG", 1))
    before = snapshot(db)
    response = client.post(ITEMS, data='{"sku": "MUG", "quantity": 1, "x": "' + "a" * 20000
                           + '"}', content_type="application/json", headers=guest(token))
    problem(response, 413, "request-entity-too-large")
    assert snapshot(db) == before


def test_malformed_json_is_a_problem(client, catalog, db):
    response = client.post(ITEMS, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert snapshot(db) == ([], [])


def test_a_bad_sku_in_the_path_is_refused(client, catalog):
    token = new_guest_cart(client, ("MUG", 1))
    problem(client.delete(f"{ITEMS}/{'x' * 65}", headers=guest(token)), 422, "validation-error")


def test_the_cart_routes_are_documented(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert set(paths) >= {"/api/v1/cart", "/api/v1/cart/items", "/api/v1/cart/items/{sku}"}



def test_concurrent_signed_in_requests_merge_the_guest_cart_once(app, catalog, alice):
    import threading

    client = app.test_client()
    token = new_guest_cart(client, ("MUG", 2))
    both = {**alice, **guest(token)}
    start, results = threading.Barrier(4), []

    def first_request() -> None:
        own = app.test_client()
        start.wait()
        results.append(own.post(ITEMS, json={"sku": "KETTLE", "quantity": 1}, headers=both))

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200] * 4, [r.get_json() for r in results]
    assert lines(client.get(CART, headers=alice).get_json()) == {"MUG": 2, "KETTLE": 4}
