"""A guest fills a cart, signs in, and finds the same cart: through the gateway only."""

from __future__ import annotations

from service_runtime.testing.processes import wait_until

KETTLE = "KETTLE-MI-1.7L-WHITE"
MUG = "MUG-CERAMIC-350ML"


def test_a_guest_cart_merges_into_the_users_cart_at_sign_in(stack, http, alice):
    # The cart learns SKUs from the catalog's ProductUpdated events: wait for the kettle.
    def add_as_guest():
        response = http.post(stack.url("/api/v1/cart/items"), json={"sku": KETTLE, "quantity": 2})
        return response if response.status_code in (200, 201) else None

    added = wait_until(add_as_guest, 90, 0.5, "the cart to know the demo catalog")
    token = added.headers["X-Cart-Token"]
    guest = {"X-Cart-Token": token}
    assert http.post(stack.url("/api/v1/cart/items"), json={"sku": MUG, "quantity": 1},
                     headers=guest).status_code in (200, 201)
    cart = http.get(stack.url("/api/v1/cart"), headers=guest).json()
    assert {(line["sku"], line["quantity"]) for line in cart["lines"]} == {(KETTLE, 2), (MUG, 1)}
    assert cart["totals"]["subtotal"] == {"amount": 2 * 9900 + 2500, "currency": "CNY"}
    assert cart["totals"]["shipping_estimate"]["amount"] == 0

    # Alice already has a mug in her cart; signing in with the guest token merges.
    assert http.post(stack.url("/api/v1/cart/items"), json={"sku": MUG, "quantity": 1},
                     headers=alice).status_code in (200, 201)
    merged = http.get(stack.url("/api/v1/cart"), headers={**alice, **guest}).json()
    assert {(line["sku"], line["quantity"]) for line in merged["lines"]} == {(KETTLE, 2),
                                                                               (MUG, 2)}
    again = http.get(stack.url("/api/v1/cart"), headers={**alice, **guest}).json()
    assert again["lines"] == merged["lines"], "a merge happens once"
    assert http.get(stack.url("/api/v1/cart"), headers=guest).json()["lines"] == []


def test_another_user_never_sees_the_cart(stack, http, alice, bob):
    wait_until(lambda: http.post(stack.url("/api/v1/cart/items"), headers=alice,
                                 json={"sku": KETTLE, "quantity": 1}).ok, 90, 0.5)
    bobs = http.get(stack.url("/api/v1/cart"), headers=bob).json()
    assert all(line["sku"] != KETTLE for line in bobs["lines"])
