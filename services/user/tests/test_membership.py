"""``GET /users/me/membership``, the admin's grant command, points expiry, and two orders
racing for the same points."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from user.definition import grant_points
from user.membership import grant
from user.points_expiry import expire_points

PASSWORD = "correct horse 42"
AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def customer(client) -> tuple[str, dict]:
    created = client.post("/api/v1/auth/register",
                          json={"email": "li@y.cn", "password": PASSWORD})
    tokens = client.post("/api/v1/auth/login", json={"login": "li@y.cn", "password": PASSWORD})
    return created.json["user_id"], {"Authorization": f"Bearer {tokens.json['access_token']}"}


def test_a_new_member_is_regular_with_no_points(client, customer):
    _, headers = customer
    response = client.get("/api/v1/users/me/membership", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json == {
        "level": {"code": "regular", "name": "普通会员", "min_growth": 0},
        "growth": 0,
        "next_level": {"code": "silver", "name": "白银会员", "min_growth": 1000,
                       "growth_missing": 1000},
        "progress_percent": 0,
        "points": {"balance": 0, "locked": 0, "debt": 0},
        "perks": {"free_shipping_threshold": {"amount": 9900, "currency": "CNY"},
                  "member_prices": False},
        "history": {"items": [], "next_cursor": None},
    }


def test_membership_shows_level_progress_perks_and_paged_history(client, db, customer):
    user_id, headers = customer
    grant(db, user_id, 300, 2000, AT)
    grant(db, user_id, 200, 1000, AT + timedelta(days=1))
    grant(db, user_id, 100, 0, AT + timedelta(days=2))
    body = client.get("/api/v1/users/me/membership?limit=2", headers=headers).json
    assert body["level"] == {"code": "silver", "name": "白银会员", "min_growth": 1000}
    assert body["growth"] == 3000
    assert body["next_level"] == {"code": "gold", "name": "黄金会员", "min_growth": 5000,
                                  "growth_missing": 2000}
    assert body["progress_percent"] == 50  # 2000 of the 4000 from silver to gold
    assert body["points"] == {"balance": 600, "locked": 0, "debt": 0}
    assert body["perks"] == {"free_shipping_threshold": {"amount": 7900, "currency": "CNY"},
                             "member_prices": True}
    first = body["history"]
    assert [item["delta"] for item in first["items"]] == [100, 200]  # newest first
    assert first["items"][0] == {**first["items"][0], "kind": "grant", "order_id": None,
                                 "balance_after": 600, "growth_delta": 0}
    rest = client.get(f"/api/v1/users/me/membership?limit=2&cursor={first['next_cursor']}",
                      headers=headers).json["history"]
    assert [item["delta"] for item in rest["items"]] == [300] and rest["next_cursor"] is None


def test_the_top_level_has_no_next_level(client, db, customer):
    user_id, headers = customer
    grant(db, user_id, 0, 25_000, AT)
    body = client.get("/api/v1/users/me/membership", headers=headers).json
    assert body["level"]["code"] == "platinum" and body["next_level"] is None
    assert body["progress_percent"] == 100
    assert body["perks"]["free_shipping_threshold"]["amount"] == 0


def test_membership_needs_a_signed_in_caller_and_a_valid_cursor(client, customer):
    assert client.get("/api/v1/users/me/membership").status_code == 401
    _, headers = customer
    bad = client.get("/api/v1/users/me/membership?cursor=usr_x", headers=headers)
    assert bad.status_code == 422


def test_membership_is_in_the_openapi_document(client):
    document = client.get("/openapi.json").json
    operation = document["paths"]["/api/v1/users/me/membership"]["get"]
    assert "200" in operation["responses"]
    assert "Membership" in document["components"]["schemas"]


def test_the_grant_command_goes_through_the_same_use_case(client, db, customer, monkeypatch, look):
    user_id, _ = customer
    monkeypatch.setenv("USER_DATABASE_URL", db.url)
    result = CliRunner().invoke(grant_points, ["--email", "LI@y.cn", "--points", "500",
                                               "--growth", "1200"])
    assert result.exit_code == 0, result.output
    assert "silver" in result.output
    assert look.standing(user_id) == (500, 0, 0, 1200, "silver")
    assert [r["level"] for r in look.emitted("MemberLevelReached")] == ["silver"]
    assert look.emitted("MembershipChanged")[-1]["points_balance"] == 500
    unknown = CliRunner().invoke(grant_points, ["--email", "nobody@y.cn", "--points", "1"])
    assert unknown.exit_code != 0 and "no account" in unknown.output


def test_points_expire_oldest_first_after_the_days_set(consumer, db, look):
    grant(db, "alice", 100, 0, AT)
    grant(db, "alice", 50, 0, AT + timedelta(days=200))
    with db.transaction() as session:
        from user.points import lock
        assert lock(session, "alice", 120, "ord_1", AT + timedelta(days=201))
    assert expire_points(db, AT + timedelta(days=300), days=0) == 0  # 0: never
    # The lock took the oldest lot whole and 20 of the next: nothing of the first is left.
    assert expire_points(db, AT + timedelta(days=366), days=365) == 0
    assert look.standing() == (30, 120, 0, 0, "regular")
    assert expire_points(db, AT + timedelta(days=566), days=365) == 1
    assert look.standing() == (0, 120, 0, 0, "regular")
    assert look.ledger()[-1] == ("expire", -30)
    assert look.emitted("MembershipChanged")[-1]["points_balance"] == 0
    assert expire_points(db, AT + timedelta(days=600), days=365) == 0


def test_two_orders_cannot_lock_the_same_points(consumer, db, ev, look):
    """Two orders of 700 against a balance of 1000, placed at the same moment, on
    separate connections: exactly one locks."""
    for round_ in range(5):
        user = f"racer{round_}"
        grant(db, user, 1000, 0, AT)
        events = [ev.placed(f"ord_{round_}_{n}", 15400, points=700, user=user) for n in (1, 2)]
        start = threading.Barrier(len(events))
        errors: list[BaseException] = []

        def place(event, start=start, errors=errors) -> None:  # type: ignore[no-untyped-def]
            start.wait()
            try:
                consumer.apply(event)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=place, args=(event,)) for event in events]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert look.standing(user) == (300, 700, 0, 0, "regular")
        locked = [e for e in look.emitted("PointsLocked") if e["user_id"] == user]
        rejected = [e for e in look.emitted("PointsRejected") if e["user_id"] == user]
        assert len(locked) == len(rejected) == 1


def test_the_worker_runs_the_expiry_unless_points_never_expire():
    from user.definition import DEFINITION
    from user.settings import UserSettings

    assert len(DEFINITION.loops_for(UserSettings())) == 2
    assert len(DEFINITION.loops_for(UserSettings(points_expiry_days=0))) == 1


def test_points_of_a_cancelled_order_keep_their_age(consumer, db, ev, look):
    grant(db, "alice", 100, 0, AT)
    grant(db, "alice", 50, 0, AT + timedelta(days=200))
    consumer.apply(ev.placed("ord_1", 15400, points=120))
    consumer.apply(ev.cancelled("ord_1"))  # back to the lots they came from
    assert expire_points(db, AT + timedelta(days=366), days=365) == 1
    assert look.standing() == (50, 0, 0, 0, "regular")
    assert look.ledger()[-1] == ("expire", -100)
