"""The gate's sold-out memo on both backends: once this process found an item sold out,
its losers are answered without a token check, a body parsed or a database statement;
an anonymous caller is still told to sign in."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import event

from marketing.app import create_app
from marketing.definition import DEFINITION
from marketing.flash_handlers import bind
from marketing.settings import MarketingSettings
from service_runtime.ids import utcnow
from service_runtime.testing.plugin import ServiceUnderTest

REDIS_URL = "redis://127.0.0.1:6379/15"
SKU = "EARBUDS-BT-PRO"
MEMO_MS = 600_000  # longer than any test: the memo never lapses under one


@pytest.fixture(params=["sql", "redis"])
def settings(request):
    if request.param == "sql":
        yield MarketingSettings(flash_sold_out_memo_ms=MEMO_MS)
        return
    import redis

    prefix = f"test-flash-memo-{uuid.uuid4().hex[:12]}:"
    yield MarketingSettings(flash_gate_redis_url=REDIS_URL, flash_gate_redis_prefix=prefix,
                            flash_sold_out_memo_ms=MEMO_MS)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def service_under_test(settings):
    return ServiceUnderTest(DEFINITION, partial(create_app, settings=settings))


@pytest.fixture(autouse=True)
def bound(settings):
    bind(settings)
    yield
    bind(MarketingSettings())


@pytest.fixture
def statements(db):
    """Every SQL statement the app's engine runs from now on."""
    ran: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        ran.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield ran
    event.remove(db.engine, "before_cursor_execute", count)


def open_session(client, admin_headers, apply, units: int) -> str:  # type: ignore[no-untyped-def]
    at = utcnow()
    created = client.post("/api/v1/admin/flash-sales", headers=admin_headers, json={
        "starts_at": (at - timedelta(seconds=1)).isoformat(),
        "ends_at": (at + timedelta(hours=1)).isoformat(), "payment_seconds": 300,
        "items": [{"sku": SKU, "product_id": 7, "quantity": units, "per_user_limit": 1,
                   "flash_price": {"amount": 29900, "currency": "CNY"}}]})
    assert created.status_code == 201, created.json
    assert apply("FlashStockHeld", session_id=created.json["id"],
                 items=[{"sku": SKU, "requested": units, "held": units}])
    return created.json["id"]


def test_losers_of_a_sold_out_item_cost_no_statement_and_no_token_check(
        client, admin_headers, headers_of, apply, statements):
    session_id = open_session(client, admin_headers, apply, units=2)
    path = f"/api/v1/flash-sales/{session_id}/items/{SKU}/attempts"
    body = {"quantity": 1, "address_id": "addr_1"}
    won = [client.post(path, json=body, headers=headers_of(f"w{n}")) for n in range(2)]
    assert [r.status_code for r in won] == [202, 202]
    first_loser = client.post(path, json=body, headers=headers_of("l0"))
    assert first_loser.status_code == 409 and first_loser.json["type"].endswith(":sold-out")
    statements.clear()
    losers = [client.post(path, json=body, headers=headers_of(f"l{n}")) for n in range(1, 6)]
    # Neither a token nor a body is looked at for the answer everyone may read anyway.
    forged = client.post(path, data="not json", headers={"Authorization": "Bearer forged",
                                                         "Content-Type": "application/json"})
    assert {(r.status_code, r.json["type"].rsplit(":", 1)[-1]) for r in [*losers, forged]} \
        == {(409, "sold-out")}
    assert statements == []
    anonymous = client.post(path, json=body)
    assert anonymous.status_code == 401


def test_before_it_sells_out_a_bad_token_or_body_is_refused_as_before(
        client, admin_headers, headers_of, apply):
    session_id = open_session(client, admin_headers, apply, units=1)
    path = f"/api/v1/flash-sales/{session_id}/items/{SKU}/attempts"
    forged = client.post(path, json={"quantity": 1, "address_id": "a"},
                         headers={"Authorization": "Bearer forged"})
    bad = client.post(path, json={"quantity": 0, "address_id": "a"}, headers=headers_of("u1"))
    assert (forged.status_code, bad.status_code) == (401, 422)
    assert client.post(path, json={"quantity": 1, "address_id": "a"},
                       headers=headers_of("u1")).status_code == 202
