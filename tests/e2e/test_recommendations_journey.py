"""Recommendations across the stack: a shopper views two products in one session (POST
/track, counted by analytics' worker) and buys them together (OrderPlaced through Kafka);
then each is the other's "bought together" and "viewed together", the product page
recommends it, and the shopper's own recommendations leave out what they bought."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from e2e_steps import KETTLE, MUG, place_order, wait_for_sku
from service_runtime.testing.processes import wait_until


def product_id_of(stack, http, sku: str) -> int:
    def found() -> int | None:
        for query in ("kettle", "mug", "电热水壶"):
            for item in http.get(stack.url("/api/v1/products"),
                                 params={"q": query, "limit": 20}).json()["items"]:
                page = http.get(stack.url(f"/api/v1/products/{item['id']}")).json()
                if sku in {s["sku"] for s in page["skus"]}:
                    return item["id"]
        return None

    return wait_until(found, 60, 0.5, f"the catalog to list {sku}")


def test_bought_and_viewed_together_reach_the_product_page(stack, http, alice):
    kettle, mug = product_id_of(stack, http, KETTLE), product_id_of(stack, http, MUG)
    session_id = uuid.uuid4().hex
    now = datetime.now(UTC).isoformat()
    tracked = http.post(stack.url("/api/v1/track"), headers=alice, json={"events": [
        {"type": "page_view", "session_id": session_id, "occurred_at": now, "product_id": p,
         "event_id": str(p)} for p in (kettle, mug)]})
    assert tracked.status_code == 202 and tracked.json()["accepted"] == 2, tracked.text
    wait_for_sku(stack, http, KETTLE)
    wait_for_sku(stack, http, MUG)
    place_order(stack, http, alice, lines=[{"sku": KETTLE, "quantity": 1},
                                           {"sku": MUG, "quantity": 1}])

    def learnt() -> dict | None:
        answer = http.get(stack.url(f"/api/v1/products/{kettle}/recommendations"))
        assert answer.status_code == 200, answer.text
        found = answer.json()
        together = [[item["id"] for item in found[part]]
                    for part in ("bought_together", "viewed_together")]
        return found if all(mug in ids for ids in together) else None

    found = wait_until(learnt, 90, 1.0, "analytics to count the order and the views")
    assert found["fallback"] is False
    mug_summary = next(item for item in found["bought_together"] if item["id"] == mug)
    assert mug_summary["name"] and mug_summary["price"]["currency"] == "CNY"

    page = http.get(stack.url(f"/api/v1/products/{kettle}"))
    assert page.status_code == 200
    assert "recommendations" not in page.json()["degraded"]
    assert mug in [item["id"] for item in page.json()["recommendations"]]

    mine = http.get(stack.url("/api/v1/users/me/recommendations"), headers=alice)
    assert mine.status_code == 200, mine.text
    assert not {kettle, mug} & {item["id"] for item in mine.json()["items"]}
    assert http.get(stack.url("/api/v1/users/me/recommendations")).status_code == 401
