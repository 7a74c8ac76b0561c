"""The order saga as ``bench/stack.py`` measures it, through the gateway only.

Each hop is timed from the client's clock when the step's request got its 201 to the
moment the next state was reached:

* ``POST /orders`` 201 -> the order ``awaiting_payment``: the order's own timeline entry
  (written in the transaction that moved it, so no polling adds to it or loads the stack);
* wallet payment (``POST /payments``, method ``balance``) 201 -> the order ``paid``: the
  same;
* payment 201 -> the shipment logistics opened on ``PaymentConfirmed``: first seen in the
  admin shipments list, polled every ``SHIPMENT_POLL_S`` (its own timestamps are the
  payment's).

All on one machine, so the client's and the services' clocks are the same clock.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import requests
from stack_processes import Stack

SKU = "MUG-CERAMIC-350ML"  # the cheapest demo SKU the order service prices
STOCK = 1_000_000
WALLET_FEN = 50_000_000
PASSWORD = "bench-password-1"
HOME = {"recipient": "韩梅梅", "phone": "13900139000", "province": "上海市", "city": "上海市",
        "district": "徐汇区", "detail": "漕溪北路 88 号", "postal_code": "200030"}
SHIPMENT_POLL_S = 0.025
AWAITING, PAID = "awaiting_payment", "paid"


@dataclass(frozen=True)
class Shopper:
    headers: dict[str, str]
    address_id: str


@dataclass
class Hop:
    """Latencies of one saga step, in seconds; ``missing`` never got there in time."""

    latencies: list[float] = field(default_factory=list)
    missing: int = 0

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


@dataclass
class Throughput:
    placed: int
    seconds: float
    errors: int
    to_awaiting: Hop
    drained_after_s: float  # the last order's awaiting_payment, after the last 201

    @property
    def placed_per_s(self) -> float:
        return self.placed / self.seconds

    @property
    def saga_per_s(self) -> float:
        """Orders that reached awaiting_payment per second, until the last one did."""
        return self.placed / (self.seconds + max(self.drained_after_s, 0))


_local = threading.local()


def _http() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def sign_in(stack: Stack, login: str, password: str) -> dict[str, str]:
    tokens = _http().post(f"{stack.gateway}/api/v1/auth/login",
                          json={"login": login, "password": password}, timeout=30)
    tokens.raise_for_status()
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def prepare(stack: Stack, admin: dict[str, str], count: int) -> list[Shopper]:
    """``count`` new shoppers with an address and a full wallet; plenty of stock."""
    stock = _http().put(f"{stack.gateway}/api/v1/admin/skus/{SKU}/stock",
                        json={"quantity": STOCK}, headers=admin, timeout=30)
    stock.raise_for_status()
    shoppers = []
    for n in range(count):
        email = f"bench-{n}-{uuid.uuid4().hex[:8]}@bench.test"
        registered = _http().post(f"{stack.gateway}/api/v1/auth/register", timeout=30,
                                  json={"email": email, "password": PASSWORD,
                                        "nickname": f"bench{n}"})
        registered.raise_for_status()
        headers = sign_in(stack, email, PASSWORD)
        address = _http().post(f"{stack.gateway}/api/v1/users/me/addresses", json=HOME,
                               headers=headers, timeout=30)
        address.raise_for_status()
        stack.cli("payment", "credit-wallet", registered.json()["user_id"], str(WALLET_FEN),
                  "--reference", f"bench-{uuid.uuid4().hex[:8]}")
        shoppers.append(Shopper(headers, address.json()["id"]))
    return shoppers


def place(stack: Stack, shopper: Shopper) -> tuple[str, float] | None:
    """An order of one SKU: (its id, the client's time of the 201), or None."""
    response = _http().post(
        f"{stack.gateway}/api/v1/orders", timeout=30,
        json={"address_id": shopper.address_id, "delivery_method": "express",
              "lines": [{"sku": SKU, "quantity": 1}]},
        headers={**shopper.headers, "Idempotency-Key": uuid.uuid4().hex})
    if response.status_code != 201:
        return None
    return response.json()["id"], time.time()


def pay(stack: Stack, shopper: Shopper, order_id: str) -> float | None:
    response = _http().post(f"{stack.gateway}/api/v1/payments", timeout=30,
                            json={"order_id": order_id, "method": "balance"},
                            headers={**shopper.headers, "Idempotency-Key": uuid.uuid4().hex})
    return time.time() if response.status_code == 201 else None


def at_rate(rate: float, count: int, step: Callable[[int], object]) -> list[object]:
    """``step(i)`` for i in range(count), started ``rate`` times a second (each in a pool
    thread, so a slow answer does not delay the next start)."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=64) as pool:
        futures = []
        for i in range(count):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(step, i))
        return [future.result() for future in futures]


def reached(stack: Stack, shoppers: list[Shopper], wanted: dict[str, int], status: str,
            timeout_s: float) -> dict[str, float]:
    """order id -> when its timeline reached ``status`` (epoch seconds), for every wanted
    order (id -> its shopper's index) that did within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    found: dict[str, float] = {}
    while True:
        for index, shopper in enumerate(shoppers):
            mine = {o for o, s in wanted.items() if s == index and o not in found}
            cursor = ""
            while mine:
                page = _http().get(f"{stack.gateway}/api/v1/orders", timeout=30,
                                   params={"limit": 100, "cursor": cursor},
                                   headers=shopper.headers)
                page.raise_for_status()
                body = page.json()
                for order in body["items"]:
                    if order["id"] in mine:
                        times = [e["at"] for e in order["timeline"] if e["status"] == status]
                        if times:
                            found[order["id"]] = datetime.fromisoformat(times[0]).timestamp()
                        mine.discard(order["id"])
                cursor = body.get("next_cursor") or ""
                if not cursor:
                    break
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        time.sleep(1)


def hop(starts: dict[str, float], ends: dict[str, float]) -> Hop:
    result = Hop()
    for order_id, start in starts.items():
        if order_id in ends:
            result.latencies.append(ends[order_id] - start)
        else:
            result.missing += 1
    return result


class ShipmentWatch:
    """Polls the admin shipments list (newest first) and notes when each order's shipment
    was first listed."""

    def __init__(self, stack: Stack, admin: dict[str, str]) -> None:
        self.stack, self.admin = stack, admin
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ShipmentWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        session = requests.Session()
        while not self._stop.wait(SHIPMENT_POLL_S):
            answer = session.get(f"{self.stack.gateway}/api/v1/admin/shipments",
                                 params={"limit": 50}, headers=self.admin, timeout=30)
            now = time.time()
            if answer.status_code == 200:
                for shipment in answer.json()["items"]:
                    self.seen.setdefault(shipment["order_id"], now)


def steady(stack: Stack, admin: dict[str, str], shoppers: list[Shopper], rate: float,
           seconds: float) -> tuple[dict[str, Hop], list[str]]:
    """Orders placed at ``rate`` a second, then paid at the same rate once payable; the
    hops, and the ids of the orders placed."""
    count = max(2, round(rate * seconds))
    placed = at_rate(rate, count, lambda i: place(stack, shoppers[i % len(shoppers)]))
    owner = {p[0]: i % len(shoppers) for i, p in enumerate(placed) if p}
    created = {p[0]: p[1] for p in placed if p}
    awaiting = reached(stack, shoppers, owner, AWAITING, 120)
    payable = [o for o in created if o in awaiting]
    with ShipmentWatch(stack, admin) as shipments:
        paid_at = at_rate(rate, len(payable),
                          lambda i: pay(stack, shoppers[owner[payable[i]]], payable[i]))
        payments = {o: t for o, t in zip(payable, paid_at, strict=True) if t is not None}
        paid = reached(stack, shoppers, {o: owner[o] for o in payments}, PAID, 120)
        deadline = time.monotonic() + 60
        while not set(payments) <= set(shipments.seen) and time.monotonic() < deadline:
            time.sleep(0.2)
    return {
        "placed -> awaiting_payment": hop(created, awaiting),
        "wallet payment 201 -> order paid": hop(payments, paid),
        "wallet payment 201 -> shipment listed": hop(payments, dict(shipments.seen)),
        "_errors": Hop(missing=(count - len(created)) + (len(payable) - len(payments))),
    }, list(created)


def throughput(stack: Stack, shoppers: list[Shopper], connections: int,
               seconds: float) -> Throughput:
    """Orders placed as fast as ``connections`` clients can for ``seconds``; then how long
    the saga took to bring the last of them to awaiting_payment."""
    stop = threading.Event()
    results: list[list[tuple[str, float]]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def client(slot: int) -> None:
        shopper = shoppers[slot % len(shoppers)]
        while not stop.is_set():
            placed = place(stack, shopper)
            if placed:
                results[slot].append(placed)
            else:
                errors[slot] += 1

    threads = [threading.Thread(target=client, args=(slot,), daemon=True)
               for slot in range(connections)]
    started = time.time()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    ended = time.time()
    created = {o: t for slot in results for o, t in slot}
    owner = {o: slot % len(shoppers) for slot, placed in enumerate(results) for o, _ in placed}
    awaiting = reached(stack, shoppers, owner, AWAITING, 300)
    last = max(awaiting.values(), default=ended)
    return Throughput(len(created), ended - started, sum(errors), hop(created, awaiting),
                      last - max(created.values(), default=ended))
