"""Flash sales end to end, through the gateway only: 200 registered buyers storm 20 units
(exactly 20 orders, nobody with two, everyone else told sold-out at once); an unpaid flash
order is cancelled at its deadline and its unit bought by someone else; the order worker
killed (SIGKILL) mid-storm and restarted still makes exactly one order per won attempt,
and ``python -m marketing flash-reconcile`` finds no difference.

The sessions sell RICE-COOKER-3L (500 in the demo catalog), each a session of its own.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
import requests

from e2e_steps import HOME, PASSWORD, order_of
from service_runtime.testing.processes import wait_until

SKU = "RICE-COOKER-3L"
BUYERS = 200
SOLD_OUT = "urn:shop:problem:sold-out"


@dataclass(frozen=True)
class Buyer:
    headers: dict
    address_id: str


def new_buyer(stack) -> Buyer:
    """A registered shopper with a default address (no wallet: nobody here pays)."""
    email = f"flash-{uuid.uuid4().hex[:10]}@e2e.test"
    registered = requests.post(stack.url("/api/v1/auth/register"),
                               json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    tokens = requests.post(stack.url("/api/v1/auth/login"),
                           json={"login": email, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    address = requests.post(stack.url("/api/v1/users/me/addresses"), json=HOME,
                            headers=headers)
    assert address.status_code == 201, address.text
    return Buyer(headers, address.json()["id"])


@pytest.fixture(scope="module")
def buyers(stack) -> list[Buyer]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(lambda _: new_buyer(stack), range(BUYERS)))


def new_session(stack, admin, quantity: int, payment_seconds: int = 600) -> str:
    """A session open now, and wait until the catalog has held its stock."""
    now = datetime.now(UTC)
    created = requests.post(stack.url("/api/v1/admin/flash-sales"), headers=admin, json={
        "name": "e2e 秒杀", "starts_at": (now - timedelta(seconds=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(), "payment_seconds": payment_seconds,
        "items": [{"sku": SKU, "quantity": quantity, "per_user_limit": 1,
                   "flash_price": {"amount": 9900, "currency": "CNY"}}]})
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]

    def held() -> bool:
        listed = requests.get(stack.url("/api/v1/flash-sales")).json()
        [item] = next(s["items"] for s in listed["items"] if s["id"] == session_id)
        return item["stock_status"] == "held" and item["remaining"] == quantity

    wait_until(held, 60, 0.2, f"the catalog to hold session {session_id}'s stock")
    return session_id


def try_buy(stack, session_id: str, buyer: Buyer) -> requests.Response:
    return requests.post(stack.url(f"/api/v1/flash-sales/{session_id}/items/{SKU}/attempts"),
                         json={"quantity": 1, "address_id": buyer.address_id},
                         headers=buyer.headers)


def storm(stack, session_id: str, buyers: list[Buyer], on_start=None) -> list[requests.Response]:
    """Every buyer at once (one thread each, released together)."""
    barrier = Barrier(len(buyers) + 1)

    def go(buyer: Buyer) -> requests.Response:
        barrier.wait()
        return try_buy(stack, session_id, buyer)

    with ThreadPoolExecutor(max_workers=len(buyers)) as pool:
        futures = [pool.submit(go, buyer) for buyer in buyers]
        barrier.wait()
        if on_start is not None:
            on_start()
        return [future.result() for future in futures]


def attempt_of(stack, buyer: Buyer, attempt_id: str) -> dict:
    response = requests.get(stack.url(f"/api/v1/flash-sales/attempts/{attempt_id}"),
                            headers=buyer.headers)
    assert response.status_code == 200, response.text
    return response.json()


def wait_attempt(stack, buyer: Buyer, attempt_id: str, *statuses: str,
                 timeout: float = 120) -> dict:
    def reached() -> dict | None:
        attempt = attempt_of(stack, buyer, attempt_id)
        return attempt if attempt["status"] in statuses else None

    return wait_until(reached, timeout, 0.3, f"attempt {attempt_id} to become {statuses}")


def orders_since(stack, buyer: Buyer, since: datetime) -> list[dict]:
    """The buyer's orders placed since ``since`` (buyers take part in several sessions)."""
    response = requests.get(stack.url("/api/v1/orders"), headers=buyer.headers)
    assert response.status_code == 200, response.text
    return [order for order in response.json()["items"]
            if datetime.fromisoformat(order["created_at"]) >= since]


def winners_and_losers(responses, buyers):
    winners = [(buyer, r.json()["attempt_id"]) for buyer, r in zip(buyers, responses, strict=True)
               if r.status_code == 202]
    losers = [(buyer, r) for buyer, r in zip(buyers, responses, strict=True)
              if r.status_code != 202]
    return winners, losers


def test_two_hundred_buyers_for_twenty_units_make_exactly_twenty_orders(stack, admin, buyers):
    since = datetime.now(UTC)
    session_id = new_session(stack, admin, 20)
    responses = storm(stack, session_id, buyers)
    winners, losers = winners_and_losers(responses, buyers)
    assert len(winners) == 20
    assert {(r.status_code, r.json()["type"]) for _, r in losers} == {(409, SOLD_OUT)}
    order_ids = {}
    for buyer, attempt_id in winners:
        attempt = wait_attempt(stack, buyer, attempt_id, "ordered")
        order_ids[attempt_id] = attempt["order_id"]
        order = order_of(stack, requests.Session(), attempt["order_id"], buyer.headers)
        assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [(SKU, 1)]
        assert len(orders_since(stack, buyer, since)) == 1  # nobody with two
    assert len(set(order_ids.values())) == 20
    assert all(orders_since(stack, buyer, since) == [] for buyer, _ in losers)
    listed = requests.get(stack.url("/api/v1/flash-sales")).json()
    [item] = next(s["items"] for s in listed["items"] if s["id"] == session_id)
    assert item["remaining"] == 0


def test_an_unpaid_flash_order_is_cancelled_and_its_unit_sold_again(stack, admin, buyers):
    first, second = buyers[0], buyers[1]
    session_id = new_session(stack, admin, 1, payment_seconds=3)
    won = try_buy(stack, session_id, first)
    assert won.status_code == 202, won.text
    assert try_buy(stack, session_id, second).json()["type"] == SOLD_OUT
    # Not paid by its deadline: its order is cancelled, and the unit goes back to the session.
    ended = wait_attempt(stack, first, won.json()["attempt_id"], "cancelled", timeout=120)
    assert ended["order_id"]
    assert order_of(stack, requests.Session(), ended["order_id"],
                    first.headers)["status"] == "cancelled"

    def bought() -> requests.Response | None:
        response = try_buy(stack, session_id, second)
        return response if response.status_code == 202 else None

    again = wait_until(bought, 30, 0.3, "the unit to be sellable again")
    # Its order too is unpaid after 3 s: ordered, or already cancelled again.
    resold = wait_attempt(stack, second, again.json()["attempt_id"], "ordered", "cancelled")
    assert resold["order_id"] and resold["order_id"] != ended["order_id"]
    assert order_of(stack, requests.Session(), resold["order_id"],
                    second.headers)["lines"][0]["sku"] == SKU


def test_killing_the_order_worker_mid_storm_loses_and_doubles_nothing(stack, admin, buyers):
    worker = stack.processes["order-worker"]
    crowd = buyers[100:160]
    since = datetime.now(UTC)
    session_id = new_session(stack, admin, 10)
    responses = storm(stack, session_id, crowd, on_start=worker.kill)
    worker.start()  # the same command and environment, as an orchestrator restarts it
    worker.wait_healthy(stack.worker_urls["order"] + "/healthz", timeout=90)
    winners, losers = winners_and_losers(responses, crowd)
    assert len(winners) == 10
    assert {r.json()["type"] for _, r in losers} == {SOLD_OUT}
    order_ids = {wait_attempt(stack, buyer, attempt_id, "ordered")["order_id"]
                 for buyer, attempt_id in winners}
    assert len(order_ids) == 10
    assert all(len(orders_since(stack, buyer, since)) == 1 for buyer, _ in winners)
    assert all(orders_since(stack, buyer, since) == [] for buyer, _ in losers)
    stack.cli("marketing", "flash-reconcile")  # exits 1 on any difference
