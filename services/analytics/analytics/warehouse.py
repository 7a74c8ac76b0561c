"""The analytical copy of the service's data: Parquet files under its warehouse folder,
written by the worker in batches and read by DuckDB (``analytics.engine``).

The write path stays the database's: ``POST /track`` and the consumers never wait for
it. A flush copies the behaviour events past the newest part into one new part
(``events/part-<first id>-<last id>.parquet``, written aside and renamed: a reader sees a
whole file or none; the parts' names are the watermark, so a crash between the two
steps cannot copy an event twice). The facts (one row per order, line or product, and
changing as payments and refunds arrive) are rewritten whole each time, also by rename.

An event is copied once it is ``SETTLE`` old: ids are handed out before commit, so on
PostgreSQL a lower id may still be committing when a higher one is visible; the group
commit's transactions last milliseconds.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from analytics.models import BehaviourEvent, OrderFact, OrderLineFact, ProductFact
from service_runtime.db import Database

SETTLE = timedelta(seconds=5)
BATCH = 200_000
PART = re.compile(r"part-(\d{12})-(\d{12})\.parquet")
TIMESTAMP = pa.timestamp("us")  # naive UTC: DuckDB compares it without a time zone

EVENT_SCHEMA = pa.schema([("id", pa.int64()), ("session_id", pa.string()),
                          ("user_id", pa.string()), ("type", pa.string()),
                          ("name", pa.string()), ("occurred_at", TIMESTAMP),
                          ("product_id", pa.int32())])
FACTS: dict[str, tuple[Any, pa.Schema]] = {
    "order_facts": (OrderFact, pa.schema([
        ("order_id", pa.string()), ("user_id", pa.string()), ("currency", pa.string()),
        ("total", pa.int64()), ("placed_at", TIMESTAMP), ("placed_on", pa.date32()),
        ("paid_at", TIMESTAMP), ("paid_amount", pa.int64()), ("refunded", pa.int64())])),
    "order_line_facts": (OrderLineFact, pa.schema([
        ("order_id", pa.string()), ("line_no", pa.int32()), ("product_id", pa.int32()),
        ("quantity", pa.int32()), ("amount", pa.int64()), ("placed_on", pa.date32())])),
    "product_facts": (ProductFact, pa.schema([
        ("product_id", pa.int32()), ("category_id", pa.int32())])),
}


def naive_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=None) if value is not None and value.tzinfo else value


def events_dir(root: Path) -> Path:
    return root / "events"


def facts_path(root: Path, table: str) -> Path:
    return root / "facts" / f"{table}.parquet"


def watermark(root: Path) -> int:
    """The id of the last event copied (0 before the first)."""
    last = 0
    folder = events_dir(root)
    if folder.is_dir():
        for name in os.listdir(folder):
            match = PART.fullmatch(name)
            if match:
                last = max(last, int(match.group(2)))
    return last


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, aside, compression="zstd")
    os.replace(aside, path)


def flush_events(db: Database, root: Path, now: datetime, batch: int = BATCH) -> int:
    """Copy the next batch of settled events; the number copied."""
    after = watermark(root)
    columns = [getattr(BehaviourEvent, name) for name in EVENT_SCHEMA.names]
    with db.read() as session:
        rows = session.execute(select(*columns)
                               .where(BehaviourEvent.id > after,
                                      BehaviourEvent.received_at < now - SETTLE)
                               .order_by(BehaviourEvent.id).limit(batch)).all()
    if not rows:
        return 0
    data = {name: [row[i] for row in rows] for i, name in enumerate(EVENT_SCHEMA.names)}
    data["occurred_at"] = [naive_utc(value) for value in data["occurred_at"]]
    first, last = rows[0][0], rows[-1][0]
    _write(pa.table(data, schema=EVENT_SCHEMA),
           events_dir(root) / f"part-{first:012d}-{last:012d}.parquet")
    return len(rows)


def flush_facts(db: Database, root: Path) -> None:
    """Rewrite the facts' copies whole (they change in place: a payment, a refund)."""
    for table, (model, schema) in FACTS.items():
        with db.read() as session:
            rows = session.execute(select(*(getattr(model, n) for n in schema.names))).all()
        data = {name: [naive_utc(row[i]) if isinstance(row[i], datetime) else row[i]
                       for row in rows] for i, name in enumerate(schema.names)}
        _write(pa.table(data, schema=schema), facts_path(root, table))


def flush(db: Database, root: Path, now: datetime, batch: int = BATCH) -> bool:
    """One pass of the worker's job: True when more events are waiting (go again)."""
    copied = flush_events(db, root, now, batch)
    flush_facts(db, root)
    return copied >= batch
