"""The admin's risk flags: admin only, newest first, paged, filtered, resolved once."""

from __future__ import annotations

import time

import pytest
from risk_events import at, risk_consumer

FLAGS = "/api/v1/admin/risk/flags"


@pytest.fixture
def raised(db, example_event):  # type: ignore[no-untyped-def]
    """Three flags: payment failures of usr_1 and of usr_2, an order burst of usr_1."""
    consumer = risk_consumer(db, risk_payment_failures=2, risk_order_burst=2)
    events = [example_event("PaymentFailed", user_id=user, failed_at=at(minute))
              for user in ("usr_1", "usr_2") for minute in (0, 1)]
    events += [example_event("OrderPlaced", order_id=f"ord_{n}", user_id="usr_1",
                             placed_at=at(n)) for n in (2, 3)]
    for event in events:
        assert consumer.apply(event)
        # Flag ids order by the millisecond they were made in (then at random): one apart.
        time.sleep(0.002)


def test_only_an_admin_sees_the_flags(client, alice):
    assert client.get(FLAGS).status_code == 401
    assert client.get(FLAGS, headers=alice).status_code == 403
    assert client.post(f"{FLAGS}/rsk_0/resolve", json={}, headers=alice).status_code == 403


def test_flags_newest_first_in_pages(client, admin, raised):
    first = client.get(f"{FLAGS}?limit=2", headers=admin).json
    assert [(f["rule"], f["subject"]) for f in first["items"]] == [
        ("order_burst", "usr_1"), ("payment_failures", "usr_2")]
    assert first["next_cursor"]
    second = client.get(f"{FLAGS}?limit=2&cursor={first['next_cursor']}", headers=admin).json
    assert [(f["rule"], f["subject"]) for f in second["items"]] == [
        ("payment_failures", "usr_1")]
    assert second["next_cursor"] is None
    flag = second["items"][0]
    assert flag["count"] == flag["threshold"] == 2 and flag["user_id"] == "usr_1"
    assert len(flag["evidence"]["event_ids"]) == 2
    assert flag["evidence"]["window_seconds"] == 600
    assert flag["window_start"] == at(0) and flag["resolved_at"] is None


def test_flags_by_rule_and_by_user(client, admin, raised):
    def subjects(query: str) -> list[tuple[str, str]]:
        response = client.get(f"{FLAGS}?{query}", headers=admin)
        assert response.status_code == 200, response.json
        return [(f["rule"], f["user_id"]) for f in response.json["items"]]

    assert subjects("rule=payment_failures") == [("payment_failures", "usr_2"),
                                                 ("payment_failures", "usr_1")]
    assert subjects("user_id=usr_1") == [("order_burst", "usr_1"),
                                         ("payment_failures", "usr_1")]
    assert subjects("rule=order_burst&user_id=usr_2") == []


@pytest.mark.parametrize("query", ["rule=nonsense", "limit=0", "limit=101", "cursor=bad",
                                   "resolved=maybe"])
def test_a_bad_query_is_a_422(client, admin, query):
    response = client.get(f"{FLAGS}?{query}", headers=admin)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_a_flag_is_resolved_once(client, admin, raised):
    flag = client.get(f"{FLAGS}?rule=order_burst", headers=admin).json["items"][0]
    done = client.post(f"{FLAGS}/{flag['id']}/resolve", json={"note": "a company account"},
                       headers=admin)
    assert done.status_code == 200, done.json
    assert done.json["resolved_by"] == "root" and done.json["resolution"] == "a company account"
    again = client.post(f"{FLAGS}/{flag['id']}/resolve", json={}, headers=admin)
    assert again.status_code == 409
    assert client.post(f"{FLAGS}/rsk_nope/resolve", json={}, headers=admin).status_code == 404
    assert client.post(f"{FLAGS}/{flag['id']}/resolve", json={"note": "x" * 501},
                       headers=admin).status_code == 422
    open_ = client.get(f"{FLAGS}?resolved=false", headers=admin).json["items"]
    assert flag["id"] not in [f["id"] for f in open_] and len(open_) == 2
    resolved = client.get(f"{FLAGS}?resolved=true", headers=admin).json["items"]
    assert [f["id"] for f in resolved] == [flag["id"]]


def test_the_openapi_document_describes_the_risk_routes(client):
    paths = client.get("/openapi.json").json["paths"]
    assert "/api/v1/admin/risk/flags" in paths
    parameters = {p["name"] for p in paths["/api/v1/admin/risk/flags"]["get"]["parameters"]}
    assert {"rule", "user_id", "resolved", "limit", "cursor"} <= parameters
    assert "post" in paths["/api/v1/admin/risk/flags/{flag_id}/resolve"]
