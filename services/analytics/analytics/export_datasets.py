"""The big-data export's datasets: their columns (one Parquet schema each, the same keys
in NDJSON) and how a stored row becomes an exported one (pure Python).

Every dataset but ``profile_tags`` is a change log: a row per change, numbered by the
row it comes from (``export_id``, increasing), so a consumer that asks for what came
after the last ``export_id`` it holds gets each change once. Changes of the middle
platform's feed (``integration_records``) give orders, order lines, payments, refunds,
inventory movements and members; the behaviour events give ``events``.

Personal data never leaves: a user id becomes ``member_id``, a keyed hash
(HMAC-SHA256 with ``ANALYTICS_EXPORT_PSEUDONYM_KEY``) that is the same in every dataset
and every export, so the big-data side joins on it without knowing who it is; nicknames
are dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from event_contracts.integration import EntityType

if TYPE_CHECKING:
    import pyarrow as pa

Row = dict[str, Any]


class Dataset(StrEnum):
    ORDERS = "orders"
    ORDER_LINES = "order_lines"
    PAYMENTS = "payments"
    REFUNDS = "refunds"
    INVENTORY_MOVEMENTS = "inventory_movements"
    MEMBERS = "members"
    EVENTS = "events"
    PROFILE_TAGS = "profile_tags"  # a snapshot of every profile, paged by member


class ExportFormat(StrEnum):
    NDJSON = "ndjson"
    PARQUET = "parquet"


MEDIA_TYPES = {ExportFormat.NDJSON: "application/x-ndjson",
               ExportFormat.PARQUET: "application/vnd.apache.parquet"}


def pseudonym(key: bytes, user_id: str | None) -> str | None:
    if user_id is None:
        return None
    return hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:32]


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _amount(money: dict[str, Any] | None) -> int | None:
    return None if money is None else money["amount"]


def _currency(money: dict[str, Any] | None) -> str | None:
    return None if money is None else money["currency"]


@cache
def parquet_schemas() -> dict[Dataset, pa.Schema]:
    """Each dataset's columns (pyarrow is loaded only by what writes Parquet: not by the
    worker, which imports this module for the command line)."""
    import pyarrow as pa

    time = pa.timestamp("us", tz="UTC")
    change = [("export_id", pa.int64()), ("sequence", pa.int32()), ("change", pa.string()),
              ("occurred_at", time)]
    return {
        Dataset.ORDERS: pa.schema([
            *change, ("order_id", pa.string()), ("member_id", pa.string()),
            ("status", pa.string()), ("total", pa.int64()), ("currency", pa.string()),
            ("refunded", pa.int64()), ("placed_at", time), ("paid_at", time),
            ("cancelled_at", time), ("completed_at", time), ("cancel_reason", pa.string())]),
        Dataset.ORDER_LINES: pa.schema([
            ("export_id", pa.int64()), ("occurred_at", time), ("order_id", pa.string()),
            ("line_no", pa.int32()), ("member_id", pa.string()), ("sku", pa.string()),
            ("product_id", pa.int64()), ("quantity", pa.int32()), ("amount", pa.int64()),
            ("currency", pa.string())]),
        Dataset.PAYMENTS: pa.schema([
            *change, ("payment_id", pa.string()), ("order_id", pa.string()),
            ("member_id", pa.string()), ("status", pa.string()), ("method", pa.string()),
            ("amount", pa.int64()), ("currency", pa.string()), ("failure_reason", pa.string()),
            ("at", time)]),
        Dataset.REFUNDS: pa.schema([
            *change, ("refund_id", pa.string()), ("order_id", pa.string()),
            ("member_id", pa.string()), ("amount", pa.int64()), ("currency", pa.string()),
            ("method", pa.string()), ("destination", pa.string()),
            ("fully_refunded", pa.bool_()), ("duplicate_payment", pa.bool_()),
            ("issued_at", time)]),
        Dataset.INVENTORY_MOVEMENTS: pa.schema([
            *change, ("sku", pa.string()), ("product_id", pa.int64()),
            ("available", pa.int64()), ("previous_available", pa.int64()),
            ("movement", pa.int64()), ("price", pa.int64()), ("currency", pa.string()),
            ("updated_at", time)]),
        Dataset.MEMBERS: pa.schema([
            *change, ("member_id", pa.string()), ("registered_at", time),
            ("level", pa.string()), ("growth", pa.int64()), ("points_balance", pa.int64()),
            ("membership_changed_at", time)]),
        Dataset.EVENTS: pa.schema([
            ("export_id", pa.int64()), ("event_id", pa.string()), ("session_id", pa.string()),
            ("member_id", pa.string()), ("type", pa.string()), ("name", pa.string()),
            ("occurred_at", time), ("received_at", time), ("path", pa.string()),
            ("product_id", pa.int64()), ("props", pa.string())]),
        Dataset.PROFILE_TAGS: pa.schema([
            ("member_id", pa.string()), ("orders", pa.int64()), ("spent", pa.int64()),
            ("units", pa.int64()), ("segment", pa.string()), ("recency", pa.int32()),
            ("frequency", pa.int32()), ("monetary", pa.int32()), ("price_band", pa.string()),
            ("churn_risk", pa.string()), ("preferred_categories", pa.list_(pa.int64())),
            ("last_order_at", time)]),
    }


# The feed's entity behind each change-log dataset (events come from their own table).
ENTITY_OF: dict[Dataset, EntityType] = {
    Dataset.ORDERS: EntityType.ORDER, Dataset.ORDER_LINES: EntityType.ORDER,
    Dataset.PAYMENTS: EntityType.PAYMENT, Dataset.REFUNDS: EntityType.REFUND,
    Dataset.INVENTORY_MOVEMENTS: EntityType.INVENTORY, Dataset.MEMBERS: EntityType.MEMBER,
}


def _change(export_id: int, record: dict[str, Any]) -> Row:
    return {"export_id": export_id, "sequence": record["sequence"],
            "change": record["change"], "occurred_at": _at(record["occurred_at"])}


def order_rows(export_id: int, record: dict[str, Any], key: bytes) -> Iterator[Row]:
    data = record["data"]
    yield {**_change(export_id, record), "order_id": data["order_id"],
           "member_id": pseudonym(key, data["user_id"]), "status": data["status"],
           "total": _amount(data["total"]), "currency": _currency(data["total"]),
           "refunded": data["refunded"], "placed_at": _at(data["placed_at"]),
           "paid_at": _at(data["paid_at"]), "cancelled_at": _at(data["cancelled_at"]),
           "completed_at": _at(data["completed_at"]), "cancel_reason": data["cancel_reason"]}


def payment_rows(export_id: int, record: dict[str, Any], key: bytes) -> Iterator[Row]:
    data = record["data"]
    yield {**_change(export_id, record), "payment_id": data["payment_id"],
           "order_id": data["order_id"], "member_id": pseudonym(key, data["user_id"]),
           "status": data["status"], "method": data["method"],
           "amount": _amount(data["amount"]), "currency": _currency(data["amount"]),
           "failure_reason": data["failure_reason"], "at": _at(data["at"])}


def refund_rows(export_id: int, record: dict[str, Any], key: bytes) -> Iterator[Row]:
    data = record["data"]
    yield {**_change(export_id, record), "refund_id": data["refund_id"],
           "order_id": data["order_id"], "member_id": pseudonym(key, data["user_id"]),
           "amount": _amount(data["amount"]), "currency": _currency(data["amount"]),
           "method": data["method"], "destination": data["destination"],
           "fully_refunded": data["fully_refunded"],
           "duplicate_payment": data["duplicate_payment"], "issued_at": _at(data["issued_at"])}


def member_rows(export_id: int, record: dict[str, Any], key: bytes) -> Iterator[Row]:
    data = record["data"]  # its nickname stays home
    yield {**_change(export_id, record), "member_id": pseudonym(key, data["user_id"]),
           "registered_at": _at(data["registered_at"]), "level": data["level"],
           "growth": data["growth"], "points_balance": data["points_balance"],
           "membership_changed_at": _at(data["membership_changed_at"])}


def inventory_row(export_id: int, record: dict[str, Any],
                  previous: dict[str, Any] | None) -> Row:
    """A SKU's change; ``previous`` is its record before (None for its first): the
    movement is what became available or was taken since then."""
    data = record["data"]
    before = None if previous is None else previous["data"]["available"]
    return {**_change(export_id, record), "sku": data["sku"], "product_id": data["product_id"],
            "available": data["available"], "previous_available": before,
            "movement": data["available"] - (before or 0), "price": _amount(data["price"]),
            "currency": _currency(data["price"]), "updated_at": _at(data["updated_at"])}


def event_row(export_id: int, event: Any, key: bytes) -> Row:
    return {"export_id": export_id, "event_id": event.event_id, "session_id": event.session_id,
            "member_id": pseudonym(key, event.user_id), "type": event.type, "name": event.name,
            "occurred_at": event.occurred_at, "received_at": event.received_at,
            "path": event.path, "product_id": event.product_id,
            "props": None if event.props is None else json.dumps(event.props,
                                                                 ensure_ascii=False)}


# Change-log datasets whose rows need nothing but the record itself.
RECORD_ROWS: dict[Dataset, Callable[[int, dict[str, Any], bytes], Iterator[Row]]] = {
    Dataset.ORDERS: order_rows, Dataset.PAYMENTS: payment_rows,
    Dataset.REFUNDS: refund_rows, Dataset.MEMBERS: member_rows,
}
