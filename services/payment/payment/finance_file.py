"""The day's finance file for the middle platform (中台): one row per payment received and
per refund paid out on a day, as CSV or Parquet.

Its rows are the records the day's reconciliation report counts (``day_records`` with the
report's own "on the day" rule), so its totals per method are the report's ``by_method``
and finance can check one against the other.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime
from enum import StrEnum

import pyarrow as pa
import pyarrow.parquet as pq

from payment.reconciliation import day_records
from service_runtime.db import Database


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


MEDIA_TYPES = {FileFormat.CSV: "text/csv", FileFormat.PARQUET: "application/vnd.apache.parquet"}


class RecordType(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True)
class FinanceRow:
    record_type: str
    record_id: str
    order_id: str
    payment_id: str
    method: str
    amount: int  # fen, always positive; record_type says which way the money went
    currency: str
    occurred_at: datetime
    provider_reference: str


_SCHEMA = pa.schema([
    ("record_type", pa.string()), ("record_id", pa.string()), ("order_id", pa.string()),
    ("payment_id", pa.string()), ("method", pa.string()), ("amount", pa.int64()),
    ("currency", pa.string()), ("occurred_at", pa.timestamp("us", tz="UTC")),
    ("provider_reference", pa.string()),
])
COLUMNS = [f.name for f in fields(FinanceRow)]


def finance_rows(db: Database, day: date) -> list[FinanceRow]:
    """Payments that succeeded and refunds that were paid on ``day`` (UTC), in time order."""
    records = day_records(db, day)
    rows = [FinanceRow(RecordType.PAYMENT, p.id, p.order_id or "", p.id, p.method, p.amount,
                       p.currency, p.succeeded_at, p.trade_no or "")
            for p in records.payments if records.on_day(p.succeeded_at)]
    rows += [FinanceRow(RecordType.REFUND, r.id, r.order_id, r.payment_id, r.method, r.amount,
                        r.currency, r.succeeded_at, r.provider_refund_no or "")
             for r in records.refunds if records.on_day(r.succeeded_at)]
    return sorted(rows, key=lambda row: (row.occurred_at, row.record_id))


def render(rows: list[FinanceRow], file_format: FileFormat) -> bytes:
    if file_format is FileFormat.PARQUET:
        table = pa.Table.from_pylist([row.__dict__ for row in rows], schema=_SCHEMA)
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180
    writer.writerow(COLUMNS)
    for row in rows:
        values = list(astuple(row))
        values[COLUMNS.index("occurred_at")] = row.occurred_at.isoformat()
        writer.writerow(values)
    return text.getvalue().encode()
