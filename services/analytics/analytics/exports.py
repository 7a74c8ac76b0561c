"""Incremental exports for the big-data platform, and the profile tags it sends back.

A consumer asks for a dataset ``since`` the watermark it holds and gets the rows after
it, oldest first, with the next watermark (``analytics.export_datasets`` says what each
dataset holds). Rows younger than ``settle`` are left for the next export: a change-log
row is numbered when it is written and seen when its transaction commits, and on
PostgreSQL a later number can commit first; a row whose number is older than the
settling time has committed (the service's transactions last milliseconds), so no row
is ever skipped behind a watermark.

``profile_tags`` is no change log: the tags move with the clock (recency), so it is a
snapshot of every profile, scored at the time of the export, paged by position.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from analytics import profile_rules
from analytics.export_datasets import (
    ENTITY_OF,
    RECORD_ROWS,
    Dataset,
    ExportFormat,
    Row,
    event_row,
    inventory_row,
    parquet_schemas,
    pseudonym,
)
from analytics.export_models import ImportedProfileTag
from analytics.feed_models import IntegrationEntity, IntegrationRecord
from analytics.insights_models import UserProductUnits, UserProfile
from analytics.models import BehaviourEvent, OrderLineFact, ProductFact
from event_contracts.integration import Change, EntityType
from service_runtime import ndjson
from service_runtime.db import Database


@dataclass(frozen=True)
class ExportPage:
    dataset: Dataset
    rows: list[Row]
    since: str  # the watermark asked for
    watermark: str  # ask for what comes after this next time
    more: bool  # rows after the watermark were ready already


def export(db: Database, dataset: Dataset, since: str, limit: int, now: datetime,
           key: bytes, settle: timedelta) -> ExportPage:
    """Up to ``limit`` rows of ``dataset`` after the watermark ``since`` ("" or "0": from
    the start), and the watermark to ask with next."""
    with db.read() as session:
        if dataset is Dataset.PROFILE_TAGS:
            rows, last, more = _profile_tags(session, since, limit, now, key)
        elif dataset is Dataset.EVENTS:
            rows, last, more = _events(session, _position(since), limit, now - settle, key)
        else:
            rows, last, more = _changes(session, dataset, _position(since), limit,
                                        now - settle, key)
    return ExportPage(dataset, rows, since, last if last is not None else since or "0", more)


def _position(since: str) -> int:
    return int(since) if since else 0


def _changes(session: Session, dataset: Dataset, after: int, limit: int, settled: datetime,
             key: bytes) -> tuple[list[Row], str | None, bool]:
    entity = ENTITY_OF[dataset]
    found = session.execute(
        select(IntegrationRecord.id, IntegrationRecord.record, IntegrationRecord.created_at)
        .where(IntegrationRecord.entity_type == entity.value, IntegrationRecord.id > after)
        .order_by(IntegrationRecord.id).limit(limit + 1)).all()
    page, more = settled_prefix(found, limit, settled, lambda row: row.created_at)
    last = str(page[-1].id) if page else None
    if dataset is Dataset.ORDER_LINES:
        return _order_lines(session, page, key), last, more
    if dataset is Dataset.INVENTORY_MOVEMENTS:
        return _movements(session, page), last, more
    make = RECORD_ROWS[dataset]
    return [row for found_row in page for row in make(found_row.id, found_row.record, key)], \
        last, more


def _order_lines(session: Session, page: list[Any], key: bytes) -> list[Row]:
    """An order's lines once, with the change that placed it (they never change after)."""
    placed = {r.record["entity_id"]: (r.id, r.record) for r in page
              if r.record["change"] == Change.ORDER_PLACED.value}
    lines = session.scalars(select(OrderLineFact).where(OrderLineFact.order_id.in_(placed))
                            .order_by(OrderLineFact.order_id, OrderLineFact.line_no))
    rows = []
    for line in lines:
        export_id, record = placed[line.order_id]
        rows.append({"export_id": export_id,
                     "occurred_at": datetime.fromisoformat(record["occurred_at"]),
                     "order_id": line.order_id, "line_no": line.line_no,
                     "member_id": pseudonym(key, record["data"]["user_id"]),
                     "sku": line.sku, "product_id": line.product_id,
                     "quantity": line.quantity, "amount": line.amount,
                     "currency": record["data"]["total"]["currency"]})
    return sorted(rows, key=lambda row: (row["export_id"], row["line_no"]))


def _movements(session: Session, page: list[Any]) -> list[Row]:
    wanted = [(r.record["entity_id"], r.record["sequence"] - 1) for r in page
              if r.record["sequence"] > 1]
    previous = {} if not wanted else {
        (row.entity_id, row.sequence): row.record for row in session.scalars(
            select(IntegrationRecord).where(
                IntegrationRecord.entity_type == EntityType.INVENTORY.value,
                tuple_(IntegrationRecord.entity_id, IntegrationRecord.sequence).in_(wanted)))}
    return [inventory_row(r.id, r.record,
                          previous.get((r.record["entity_id"], r.record["sequence"] - 1)))
            for r in page]


def _events(session: Session, after: int, limit: int, settled: datetime,
            key: bytes) -> tuple[list[Row], str | None, bool]:
    found = list(session.scalars(
        select(BehaviourEvent).where(BehaviourEvent.id > after)
        .order_by(BehaviourEvent.id).limit(limit + 1)))
    page, more = settled_prefix(found, limit, settled, lambda event: event.received_at)
    return ([event_row(event.id, event, key) for event in page],
            str(page[-1].id) if page else None, more)


def settled_prefix(found: list[Any], limit: int, settled: datetime,
                   written_at: Callable[[Any], datetime]) -> tuple[list[Any], bool]:
    """The rows (in number order, ``limit`` + 1 asked for) up to the first one written
    after ``settled``, and whether more are ready. Not merely the settled ones: a row
    numbered later may carry an older time (another process's transaction waited for the
    database), and taking it would move the watermark past a younger one not taken."""
    page = []
    for row in found[:limit]:
        if written_at(row) > settled:
            return page, False
        page.append(row)
    return page, len(found) > limit


def _profile_tags(session: Session, since: str, limit: int, now: datetime,
                  key: bytes) -> tuple[list[Row], str | None, bool]:
    """Profiles in user id order; the watermark counts the profiles given so far (no user
    id leaves, not even in a header). Profiles are only ever added: one added while a
    snapshot is paged shifts the rest by one, so a member may come twice, never not at
    all (deduplicate on ``member_id``)."""
    offset = _position(since)
    found = list(session.scalars(select(UserProfile).order_by(UserProfile.user_id)
                                 .offset(offset).limit(limit + 1)))
    page = found[:limit]
    units = func.sum(UserProductUnits.units)
    preferred: dict[str, list[int]] = {}
    for user_id, category_id, _ in session.execute(
            select(UserProductUnits.user_id, ProductFact.category_id, units)
            .join(ProductFact, ProductFact.product_id == UserProductUnits.product_id)
            .where(UserProductUnits.user_id.in_([p.user_id for p in page]))
            .group_by(UserProductUnits.user_id, ProductFact.category_id)
            .order_by(UserProductUnits.user_id, units.desc(), ProductFact.category_id)):
        kept = preferred.setdefault(user_id, [])
        if category_id is not None and len(kept) < profile_rules.PREFERRED_CATEGORIES:
            kept.append(category_id)
    rows = []
    for profile in page:
        totals = profile_rules.Totals(profile.orders, profile.spent, profile.units,
                                      profile.first_order_at, profile.last_order_at)
        tags = profile_rules.tags(totals, now)
        rfm = tags["rfm"] or {}
        rows.append({"member_id": pseudonym(key, profile.user_id), "orders": profile.orders,
                     "spent": profile.spent, "units": profile.units,
                     "segment": tags["segment"], "recency": rfm.get("recency"),
                     "frequency": rfm.get("frequency"), "monetary": rfm.get("monetary"),
                     "price_band": tags["price_band"], "churn_risk": tags["churn_risk"],
                     "preferred_categories": preferred.get(profile.user_id, []),
                     "last_order_at": profile.last_order_at})
    return rows, str(offset + len(page)) if page else None, len(found) > limit


def render(page: ExportPage, export_format: ExportFormat) -> bytes:
    """The page as NDJSON (one JSON object a line, times in ISO 8601) or as a Parquet file
    with the dataset's schema (also when empty: the columns are there)."""
    if export_format is ExportFormat.PARQUET:
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = io.BytesIO()
        table = pa.Table.from_pylist(page.rows, schema=parquet_schemas()[page.dataset])
        pq.write_table(table, sink)
        return sink.getvalue()
    return "".join(json.dumps(row, ensure_ascii=False, default=_iso) + "\n"
                   for row in page.rows).encode()


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


# -- tags from the big-data platform -----------------------------------------------------

MAX_TAGS_PER_MEMBER = 50
MAX_TAG_LINES = 10_000


class TagLineSchema(Schema):
    """One line of a tag file (NDJSON)."""

    member_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"),
                              metadata={"description": "the member's pseudonym in exports"})
    tags = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")),
                       values=fields.String(validate=validate.Length(max=200)),
                       required=True, validate=validate.Length(max=MAX_TAGS_PER_MEMBER))


def parse_tag_lines(text: str) -> list[dict[str, Any]]:
    """A tag file's lines, validated; bad lines raise (422), named by their numbers."""
    return ndjson.parse_lines(text, TagLineSchema(), MAX_TAG_LINES, "tag file")


@dataclass(frozen=True)
class TagImport:
    members: int  # members whose imported tags were replaced
    tags: int
    unknown: list[str]  # member ids that are no member of the shop (nothing kept)


def import_tags(db: Database, lines: Iterable[dict[str, Any]], key: bytes,
                source: str, now: datetime) -> TagImport:
    """Replace the imported tags of each member named in ``lines`` (``{"member_id":
    pseudonym, "tags": {name: value}}``; already validated) by the ones given. Applying a
    file twice leaves the same tags. Member ids are the export's pseudonyms: they are
    matched against every known member's."""
    wanted = {line["member_id"]: line["tags"] for line in lines}
    with db.transaction() as session:
        known = {pseudonym(key, user_id): user_id for user_id in _member_ids(session)}
        found = {known[member]: tags for member, tags in wanted.items() if member in known}
        if found:
            session.execute(delete(ImportedProfileTag)
                            .where(ImportedProfileTag.user_id.in_(found)))
            session.add_all(ImportedProfileTag(user_id=user_id, tag=tag, value=value,
                                               source=source, imported_at=now)
                            for user_id, tags in found.items() for tag, value in tags.items())
    return TagImport(len(found), sum(len(tags) for tags in found.values()),
                     sorted(member for member in wanted if member not in known))


def _member_ids(session: Session) -> set[str]:
    """Everyone the shop knows as a member: registered (the feed), or with a profile."""
    members = session.scalars(select(IntegrationEntity.entity_id).where(
        IntegrationEntity.entity_type == EntityType.MEMBER.value))
    return {*members, *session.scalars(select(UserProfile.user_id))}
