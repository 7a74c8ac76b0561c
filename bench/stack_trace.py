"""Where ``placed -> awaiting_payment`` spends its time: each hop, from the services' databases.

For the orders a run placed, every step of the saga's first stage leaves a timestamp in
some service's database, written in the transaction that did the step:

* ``order created``: the order's ``created_at`` (the API's transaction; it commits about a
  millisecond later);
* ``catalog applied OrderPlaced``: the catalog's inbox row (``processed_events``), written
  first in the handler's transaction that reserves the stock and writes ``StockReserved``;
* ``payment applied StockReserved`` / ``payment applied OrderPlaced``: the payment
  service's inbox rows; ``PaymentDue`` is written by whichever of the two came second;
* ``order applied PaymentDue``: the order service's inbox row, in the transaction that
  writes the ``awaiting_payment`` timeline entry.

So a hop here is one service's commit to the next service's handler: outbox relay, broker,
consumer wake and fetch, and whatever that consumer handled before it. Wall-clock times of
processes on one machine.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

HOPS = [
    ("order created -> catalog applied OrderPlaced", "created", "catalog_placed"),
    ("catalog applied OrderPlaced -> payment applied StockReserved", "catalog_placed",
     "payment_reserved"),
    ("order created -> payment applied OrderPlaced", "created", "payment_placed"),
    ("payment's second event -> order applied PaymentDue", "payment_due", "order_due"),
    ("order created -> order applied PaymentDue", "created", "order_due"),
]


def _epoch(value: object) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    if value.tzinfo is None:  # SQLite keeps naive UTC
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _rows(url: str, sql: str, **params: object) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def _applied(url: str, group: str, event_type: str,
             key_of: dict[str, str]) -> dict[str, float]:
    """order id -> when ``group`` applied that order's ``event_type`` (its inbox row)."""
    found = {}
    for event_id, at in _rows(url, "SELECT event_id, processed_at FROM processed_events "
                                   "WHERE consumer_group = :g AND event_type = :t",
                              g=group, t=event_type):
        order_id = key_of.get(event_id)
        if order_id is not None:
            found[order_id] = _epoch(at)
    return found


def _event_ids(url: str, event_type: str) -> dict[str, str]:
    """event id -> order id of the ``event_type`` rows still in ``url``'s outbox."""
    return {event_id: json.loads(payload)["key"] for event_id, payload in _rows(
        url, "SELECT event_id, payload FROM outbox_messages WHERE event_type = :t", t=event_type)}


def trace(database_url: Callable[[str], str], order_ids: Iterable[str]) -> dict[str, list[float]]:
    """Each hop's latencies (seconds) over ``order_ids``; ``database_url(service)``."""
    wanted = set(order_ids)
    created = {o: _epoch(at) for o, at in _rows(database_url("order"),
                                                "SELECT id, created_at FROM orders")
               if o in wanted}
    placed = _event_ids(database_url("order"), "OrderPlaced")
    reserved = _event_ids(database_url("catalog"), "StockReserved")
    due = _event_ids(database_url("payment"), "PaymentDue")
    times = {
        "created": created,
        "catalog_placed": _applied(database_url("catalog"), "catalog", "OrderPlaced", placed),
        "payment_placed": _applied(database_url("payment"), "payment", "OrderPlaced", placed),
        "payment_reserved": _applied(database_url("payment"), "payment", "StockReserved",
                                     reserved),
        "order_due": _applied(database_url("order"), "order", "PaymentDue", due),
    }
    times["payment_due"] = {
        o: max(t, times["payment_placed"][o]) for o, t in times["payment_reserved"].items()
        if o in times["payment_placed"]}
    result: dict[str, list[float]] = {}
    for name, start, end in HOPS:
        result[name] = [times[end][o] - times[start][o] for o in wanted
                        if o in times[start] and o in times[end]]
    return result


def rows(hops: dict[str, list[float]]) -> list[tuple[str, str, str, str, str]]:
    """Table rows: name, '', p50, p99, n."""
    out = []
    for name, latencies in hops.items():
        if len(latencies) < 2:
            continue
        p = statistics.quantiles(latencies, n=100, method="inclusive")
        out.append((f"  {name}", "", f"{p[49] * 1000:,.0f} ms", f"{p[98] * 1000:,.0f} ms",
                    f"n={len(latencies)}"))
    return out
