"""Analytics across the stack: a new shopper browses, searches, adds to the cart, orders
and pays, as a client app does (the behaviour events through POST /track, the rest
through the services' APIs); then the admin sees that journey in the funnel, the sales
by day and by product, the shopper's profile tags, and the shopper gets personal
recommendations.

The session's stack holds other tests' data, so the reports are read before the journey
and compared after it: the differences are this shopper's.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta

from browser import sign_in as browser_sign_in
from e2e_steps import (
    KETTLE,
    PASSWORD,
    pay_at_provider,
    place_order,
    sign_up,
    start_payment,
    wait_for_sku,
    wait_for_status,
)
from service_runtime.testing.processes import wait_until

TEA = "TEA-LONGJING-250G"  # bought by no other test before this one
ANALYTICS = "/api/v1/admin/analytics"


def product_id_of(stack, http, query: str, sku: str) -> int:
    """The search a shopper types, answered by the catalog: the product selling ``sku``."""
    def found() -> int | None:
        answer = http.get(stack.url("/api/v1/products"), params={"q": query, "limit": 20})
        assert answer.status_code == 200, answer.text
        for item in answer.json()["items"]:
            page = http.get(stack.url(f"/api/v1/products/{item['id']}")).json()
            if sku in {s["sku"] for s in page["skus"]}:
                return item["id"]
        return None

    return wait_until(found, 60, 0.5, f"the catalog to find {sku} by {query!r}")


def track(stack, http, headers: dict, session_id: str, *events: dict) -> None:
    """One batch of behaviour events, as the client app sends them with the user's token."""
    now = datetime.now(UTC).isoformat()
    batch = [{"session_id": session_id, "occurred_at": now, "event_id": uuid.uuid4().hex,
              **event} for event in events]
    tracked = http.post(stack.url("/api/v1/track"), headers=headers, json={"events": batch})
    assert tracked.status_code == 202, tracked.text
    assert tracked.json()["accepted"] == len(events), tracked.text


def funnel(stack, http, admin: dict, start: date, end: date) -> dict[str, dict]:
    answer = http.get(stack.url(f"{ANALYTICS}/funnel"), headers=admin,
                      params={"from": start.isoformat(), "to": end.isoformat()})
    assert answer.status_code == 200, answer.text
    return {step["step"]: step for step in answer.json()["steps"]}


def sales_row(stack, http, admin: dict, day: date, group_by: str, key: str,
              value: object) -> dict[str, int]:
    """The figures of one row of the sales report of ``day`` (zeros when it has none)."""
    answer = http.get(stack.url(f"{ANALYTICS}/sales"), headers=admin, params={
        "from": day.isoformat(), "to": day.isoformat(), "group_by": group_by, "limit": 1000})
    assert answer.status_code == 200, answer.text
    row = next((r for r in answer.json()["rows"] if r[key] == value), {})
    return {name: row.get(name, 0) for name in ("orders", "gmv", "paid_orders", "paid")}


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after}


def test_a_shoppers_journey_shows_in_the_admins_reports(stack, http, admin):
    shopper = sign_up(stack, "journey")
    user_id = http.get(stack.url("/api/v1/users/me"), headers=shopper).json()["id"]
    today = datetime.now(UTC).date()
    # A window covering now whatever the hour (the report counts whole UTC days).
    window = (today - timedelta(days=1), today + timedelta(days=1))
    tea = product_id_of(stack, http, "龙井", TEA)
    kettle = product_id_of(stack, http, "电热水壶", KETTLE)
    funnel_before = funnel(stack, http, admin, *window)
    by_day_before = sales_row(stack, http, admin, today, "day", "day", today.isoformat())
    by_product_before = sales_row(stack, http, admin, today, "product", "product_id", tea)

    session_id = uuid.uuid4().hex
    # Browses: two product pages (the one bought later, and one only looked at).
    for product_id in (kettle, tea):
        page = http.get(stack.url(f"/api/v1/products/{product_id}"))
        assert page.status_code == 200, page.text
        track(stack, http, shopper, session_id, {
            "type": "page_view", "path": f"/products/{product_id}", "product_id": product_id})
    # Searches.
    results = http.get(stack.url("/api/v1/products"), params={"q": "龙井"})
    assert results.status_code == 200, results.text
    assert tea in [item["id"] for item in results.json()["items"]]
    track(stack, http, shopper, session_id, {
        "type": "search", "path": "/search?q=龙井", "props": {"query": "龙井"}})
    # Adds to the cart (the cart API, and the event the client reports).
    wait_for_sku(stack, http, TEA)
    added = http.post(stack.url("/api/v1/cart/items"), headers=shopper,
                      json={"sku": TEA, "quantity": 2})
    assert added.status_code in (200, 201), added.text
    track(stack, http, shopper, session_id, {
        "type": "add_to_cart", "path": f"/products/{tea}", "product_id": tea,
        "props": {"sku": TEA, "quantity": 2}})
    # Orders what is in the cart, and pays at the provider's cashier.
    order = place_order(stack, http, shopper)
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [(TEA, 2)]
    wait_for_status(stack, http, order["id"], shopper, "awaiting_payment")
    payment = start_payment(stack, http, shopper, order["id"], "alipay")
    pay_at_provider(stack, http, payment, outcome="success")
    paid = wait_for_status(stack, http, order["id"], shopper, "paid")
    total = paid["total"]["amount"]
    assert payment["amount"]["amount"] == total
    tea_amount = sum(line["payable"]["amount"] if line["payable"] else
                     line["subtotal"]["amount"] for line in paid["lines"])

    # The funnel: one more user at every step, and one more who took them all.
    def funnel_grew() -> dict | None:
        after = funnel(stack, http, admin, *window)
        grew = all(after[step][figure] >= funnel_before[step][figure] + 1
                   for step in after for figure in ("users", "reached"))
        return after if grew else None

    funnel_after = wait_until(funnel_grew, 60, 0.5, "the funnel to count the journey")
    assert list(funnel_after) == ["product_view", "add_to_cart", "order", "paid"]

    # Sales by day and by product: exactly this order's figures more.
    def paid_order_counted() -> dict | None:
        after = sales_row(stack, http, admin, today, "day", "day", today.isoformat())
        return after if after["paid_orders"] > by_day_before["paid_orders"] else None

    by_day = wait_until(paid_order_counted, 60, 0.5, "the sales to count the paid order")
    assert delta(by_day, by_day_before) == {
        "orders": 1, "gmv": total, "paid_orders": 1, "paid": total}
    by_product = sales_row(stack, http, admin, today, "product", "product_id", tea)
    assert delta(by_product, by_product_before) == {
        "orders": 1, "gmv": tea_amount, "paid_orders": 1, "paid": tea_amount}

    # The shopper's profile, as the admin sees it: tagged as a new customer.
    profile = http.get(stack.url(f"{ANALYTICS}/users/{user_id}"), headers=admin)
    assert profile.status_code == 200, profile.text
    tags = profile.json()
    assert (tags["orders"], tags["spent"], tags["units"]) == (1, total, 2)
    assert tags["segment"] == "new"
    assert tags["rfm"] == {"recency": 3, "frequency": 1, "monetary": 1}
    assert tags["price_band"] == "mid"  # ¥168 an item
    assert tags["churn_risk"] == "low"
    assert [c["units"] for c in tags["preferred_categories"]] == [2]

    # Personal recommendations: from what the shopper viewed and bought, leaving out
    # what they bought (the kettle was viewed with the tea in one session).
    # The views are counted by a worker job every few seconds, the order as it arrives.
    def personal() -> list[int] | None:
        mine = http.get(stack.url("/api/v1/users/me/recommendations"), headers=shopper)
        assert mine.status_code == 200, mine.text
        ids = [item["id"] for item in mine.json()["items"]]
        return ids if mine.json()["source"] == "personal" and kettle in ids else None

    recommended = wait_until(personal, 60, 0.5, "personal recommendations with the kettle")
    assert tea not in recommended

    # The big-data export has the order, its lines, the payment and the behaviour events,
    # under one pseudonym for the shopper and without their user id.
    def exported(dataset: str, found) -> list[dict] | None:  # type: ignore[no-untyped-def]
        rows, since = [], ""
        while True:
            answer = http.get(stack.url(f"/api/v1/admin/exports/{dataset}"), headers=admin,
                              params={"since": since})
            assert answer.status_code == 200, answer.text
            assert user_id not in answer.text
            rows += [json.loads(line) for line in answer.text.splitlines()]
            since = answer.headers["X-Export-Watermark"]
            if answer.headers["X-Export-More"] == "false":
                break
        mine = [row for row in rows if found(row)]
        return mine or None

    changes = wait_until(lambda: exported("orders", lambda r: r["order_id"] == order["id"]
                                          and r["status"] == "paid"), 60, 0.5,
                         "the paid order in the export")
    [member] = {row["member_id"] for row in changes}
    lines = exported("order_lines", lambda r: r["order_id"] == order["id"])
    assert [(r["sku"], r["quantity"], r["amount"]) for r in lines] == [(TEA, 2, tea_amount)]
    assert lines[0]["member_id"] == member
    events = exported("events", lambda r: r["session_id"] == session_id)
    assert {e["type"] for e in events} >= {"page_view", "search", "add_to_cart"}
    assert {e["member_id"] for e in events} == {member}
    parquet = http.get(stack.url("/api/v1/admin/exports/payments"), headers=admin,
                       params={"format": "parquet"})
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"


def test_a_journey_in_the_web_pages_shows_in_the_funnel(stack, http, admin, page):
    """The storefront reports what a signed-in shopper does in a real browser (the page
    views, the cart, the buttons), so the funnel counts them as it counts a client app's."""
    shopper = sign_up(stack, "web-funnel")
    email = http.get(stack.url("/api/v1/users/me"), headers=shopper).json()["email"]
    wait_for_sku(stack, http, KETTLE)
    kettle = product_id_of(stack, http, "电热水壶", KETTLE)
    today = datetime.now(UTC).date()
    window = (today - timedelta(days=1), today + timedelta(days=1))
    before = funnel(stack, http, admin, *window)

    browser_sign_in(page, email, PASSWORD)
    page.goto(f"/products/{kettle}")
    choice = page.get_by_test_id("buy-box").locator(f'input[type=radio][value="{KETTLE}"]')
    if choice.count():
        choice.check()
    page.get_by_test_id("add-to-cart").click()
    page.goto("/checkout")
    page.get_by_role("button", name="提交订单").click()  # paid from the funded wallet
    page.wait_for_url(re.compile(r"/orders/[^/]+/result$"))
    order_id = page.get_by_test_id("order-id").inner_text().strip()
    wait_for_status(stack, http, order_id, shopper, "paid")

    def counted() -> dict | None:
        after = funnel(stack, http, admin, *window)
        return after if all(after[step]["reached"] >= before[step]["reached"] + 1
                            for step in after) else None

    wait_until(counted, 60, 0.5, "the funnel to count the browser's journey")
