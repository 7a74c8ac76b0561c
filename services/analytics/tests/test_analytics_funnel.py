"""The funnel: behaviour events sent through POST /track and orders heard from events,
counted per signed-in user; every figure worked out by hand below."""

from datetime import timedelta

from analytics_history import line, paid, placed

from service_runtime.ids import utcnow
from service_runtime.testing.plugin import bearer

FUNNEL = "/api/v1/admin/analytics/funnel"


def test_users_per_step_and_conversion(client, consumer, example_event, admin, signing_key):
    now = utcnow()
    recent, old = now - timedelta(minutes=1), now - timedelta(days=3)

    def track(user, *events, at=recent):  # type: ignore[no-untyped-def]
        headers = bearer(signing_key, user) if user else {}
        batch = [{"occurred_at": at.isoformat(), "session_id": f"s-{user}", **e}
                 for e in events]
        assert client.post("/api/v1/track", json={"events": batch}, headers=headers) \
            .status_code == 202

    view = {"type": "page_view", "product_id": 7, "path": "/products/7"}
    cart = {"type": "add_to_cart", "product_id": 7}
    track("alice", view, cart)
    track("bob", view, cart)
    track("carol", view)  # bought without the cart (buy now)
    track("dave", {"type": "page_view", "path": "/"}, cart)  # no product page
    track("erin", {**view, "event_id": "1"}, {**view, "event_id": "2"})  # counted once
    track(None, view, cart)  # anonymous: not a user to count
    track("frank", view, cart, at=old)  # before the window
    for order, user, pays in (("o-a", "alice", True), ("o-b", "bob", False),
                              ("o-c", "carol", True)):
        kind, data = placed(order, user, recent.isoformat(), [line("P7", 7, 100)], 100)
        consumer.apply(example_event(kind, **data))
        if pays:
            kind, data = paid(order, user, 100, recent.isoformat())
            consumer.apply(example_event(kind, **data))

    start, end = (now - timedelta(days=1)).date(), now.date()
    response = client.get(f"{FUNNEL}?from={start}&to={end}", headers=admin)
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["from"], report["to"]) == (start.isoformat(), end.isoformat())
    assert report["steps"] == [
        # Viewed a product: alice, bob, carol, erin.
        {"step": "product_view", "users": 4, "reached": 4, "conversion": None},
        # Added to the cart: alice, bob, dave; of whom alice and bob had viewed a product.
        {"step": "add_to_cart", "users": 3, "reached": 2, "conversion": 0.5},
        # Ordered: alice, bob, carol; carol never had a cart.
        {"step": "order", "users": 3, "reached": 2, "conversion": 1.0},
        # Paid: alice and carol; alice took every step.
        {"step": "paid", "users": 2, "reached": 1, "conversion": 0.5},
    ]
    assert report["overall_conversion"] == 0.25


def test_an_empty_window_has_no_conversion(client, admin):
    report = client.get(f"{FUNNEL}?from=2026-01-01&to=2026-01-31", headers=admin).json
    assert [(s["users"], s["reached"], s["conversion"]) for s in report["steps"]] == \
        [(0, 0, None)] * 4
    assert report["overall_conversion"] is None
